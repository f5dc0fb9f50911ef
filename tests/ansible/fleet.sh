# Shared by the Ansible tests and tests/bench/ansible.sh: three `pipeline
# listen` servers on three unix sockets stand for three enclaves; an
# inventory names them; the plugin comes from clients/ansible and the
# package from a venv it was pip-installed into (no PYTHONPATH).
#
#   . tests/ansible/fleet.sh      (after tests/integration/lib.sh)
#   fleet_install                 sets VENV, ANSIBLE, ANSIBLE_PLAYBOOK
#   fleet_start                   sets FLEET (dir), INVENTORY, FLEET_PIDS
#   fleet_stop

PY=/usr/bin/python3
FLEET_PIDS=()

fleet_stop() {
    local p
    for p in "${FLEET_PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${FLEET_PIDS[@]}"; do wait "$p" 2>/dev/null; done
    FLEET_PIDS=()
}

# fleet_install: the package into a venv that sees Debian's site-packages,
# offline, from a copy of the source (an in-tree build leaves build/ behind).
fleet_install() {
    VENV="$TESTROOT/venv"
    cp -r "$PIPELINE_SRC/clients/python" "$TESTROOT/pysrc"
    rm -rf "$TESTROOT/pysrc/tests"
    $PY -m venv --system-site-packages --without-pip "$VENV" || return 1
    PIP_NO_INDEX=1 "$VENV/bin/python" -m pip install -q --no-build-isolation \
        --no-deps "$TESTROOT/pysrc" >"$TESTROOT/pip.log" 2>&1 || {
        cat "$TESTROOT/pip.log" >&2
        return 1
    }
    # ansible's own scripts run under the venv's interpreter, which imports
    # pipeline_client like any installed package.
    ANSIBLE=("$VENV/bin/python" /usr/bin/ansible)
    ANSIBLE_PLAYBOOK=("$VENV/bin/python" /usr/bin/ansible-playbook)
    # Where users point Ansible at the plugin; nothing from their own
    # ansible.cfg.
    printf '[defaults]\nconnection_plugins = %s\nhost_key_checking = false\n' \
        "$PIPELINE_SRC/clients/ansible/connection_plugins" >"$TESTROOT/ansible.cfg"
    export ANSIBLE_CONFIG="$TESTROOT/ansible.cfg"
    export ANSIBLE_LOCAL_TEMP="$TESTROOT/ansible-local"
    export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_RETRY_FILES_ENABLED=0
    export ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3
    unset PYTHONPATH
}

# fleet_start: three servers, each with its own key and work directory.
fleet_start() {
    FLEET=$(mktemp -d "$TESTROOT/fleet.XXXXXX")
    INVENTORY="$FLEET/inventory.ini"
    local h i
    {
        echo "[enclaves]"
        for h in a b c; do
            mkdir -p "$FLEET/$h/work"
            echo "address = \"unix:$FLEET/$h/s.sock\";" >"$FLEET/$h/pipeline.conf"
            "$PIPELINE_BIN" -c "$FLEET/$h/pipeline.conf" listen \
                --key-file "$FLEET/$h/server.key" 2>>"$FLEET/$h/server.log" &
            FLEET_PIDS+=($!)
            echo "enc-$h ansible_pipeline_address=unix:$FLEET/$h/s.sock base=$FLEET/$h/work"
        done
        echo "[enclaves:vars]"
        echo "ansible_connection=pipeline"
        echo "ansible_pipelining=true"
        echo "ansible_pipeline_key_file=$FLEET/client.key"
        echo "ansible_pipeline_known_servers=$FLEET/known_servers"
        echo "ansible_remote_tmp=$FLEET/remote-tmp"
    } >"$INVENTORY"
    for h in a b c; do
        for i in $(seq 1 200); do
            "$PIPELINE_BIN" -c "$FLEET/$h/pipeline.conf" ping -q \
                --key-file "$FLEET/probe.key" >/dev/null 2>&1 && break
            sleep 0.05
        done
    done
}
