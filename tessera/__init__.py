"""Tessera: a compute control plane sharded into cells."""

import warnings

# oslo.messaging imports eventlet-era modules that warn on import; Tessera runs on
# native threads and never monkey-patches, so the warning is noise for operators.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
