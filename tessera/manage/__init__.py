"""``tessera-manage``: the operator CLI (``api_db``, ``db`` and ``cell_v2`` commands).

Each command module registers its actions on the parser; an action takes the
:class:`~tessera.manage.context.ManageContext` and parsed arguments and
returns its exit code.
"""
