# Sourced by scripts/test and scripts/all-in-one: make .venv and install the
# package (with the test extra) into it, again only when pyproject.toml changed.
PYTHON=${PYTHON:-python3}
VENV=.venv
STAMP=$VENV/.tessera-install-stamp

ensure_venv() {
    if [[ ! -x $VENV/bin/python ]]; then
        printf '==> creating %s\n' "$VENV"
        "$PYTHON" -m venv "$VENV" || return 1
    fi
    local want have=""
    want=$(sha256sum pyproject.toml | cut -d' ' -f1)
    [[ -f $STAMP ]] && have=$(<"$STAMP")
    if [[ $want != "$have" ]]; then
        printf '==> installing tessera[test] into %s\n' "$VENV"
        "$VENV/bin/python" -m pip install --quiet -e '.[test]' || return 1
        printf '%s\n' "$want" >"$STAMP"
    fi
}
