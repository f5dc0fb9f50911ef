# Ansible ad-hoc commands through the pipeline connection plugin, three
# servers at once (-f 3): ping, command, copy (file and directory), fetch,
# template, file, raw; a failing command's rc; a wrong server key is
# UNREACHABLE with our message; become is refused.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/fleet.sh"
trap 'fleet_stop; cleanup' EXIT

fleet_install || { fail "pip install of clients/python"; finish; }
check "ansible-doc shows the plugin and its options" eval \
    '"${ANSIBLE[0]}" /usr/bin/ansible-doc -t connection pipeline | grep -q ansible_pipeline_server_key'
fleet_start

# an INVENTORY ARGS...: ad-hoc on all enclaves, three at a time.
an() { timeout 300 "${ANSIBLE[@]}" all -i "$INVENTORY" -f 3 "$@" >"$FLEET/out" 2>&1; }
# count PATTERN: lines of the last output matching PATTERN.
count() { grep -cE "$1" "$FLEET/out"; }
countf() { grep -cF -- "$1" "$FLEET/out"; } # a fixed string (keys hold + and /)
show() { sed -n '1,60p' "$FLEET/out" | tr '\n' ' ' | cut -c1-600; }

# Without pipelining: modules travel by put_file into the remote tmp dir.
an -m ping -e ansible_pipelining=false
check "-m ping (no pipelining): 3 pongs: $(show)" \
    test "$(count '"ping": "pong"')" = 3
check "first contact recorded three keys in known_servers" \
    test "$(wc -l <"$FLEET/known_servers")" = 3

an -m ping
check "-m ping (pipelining): 3 pongs" test "$(count '"ping": "pong"')" = 3

an -m command -a 'uname -r'
check "-m command -a 'uname -r': rc=0 and the release on 3 hosts: $(show)" \
    test "$(count "CHANGED \| rc=0 >>")" = 3 -a "$(count "^$(uname -r)\$")" = 3

SRC="$(dirname "$0")/files"
an -m copy -a "src=$SRC/motd.txt dest={{ base }}/motd.txt mode=0640"
ok_copy=1
for h in a b c; do
    cmp -s "$SRC/motd.txt" "$FLEET/$h/work/motd.txt" || ok_copy=0
    [ "$(stat -c %a "$FLEET/$h/work/motd.txt" 2>/dev/null)" = 640 ] || ok_copy=0
done
check "-m copy of a file: 3 CHANGED, content and mode arrived: $(show)" \
    test "$(count '\| CHANGED')" = 3 -a "$ok_copy" = 1
an -m copy -a "src=$SRC/motd.txt dest={{ base }}/motd.txt mode=0640"
check "-m copy again: 3 SUCCESS, nothing changed" \
    test "$(count '\| SUCCESS')" = 3 -a "$(count '"changed": false')" = 3

an -m copy -a "src=$SRC/tree dest={{ base }}/opt"
ok_tree=1
for h in a b c; do
    diff -r "$SRC/tree" "$FLEET/$h/work/opt/tree" >/dev/null || ok_tree=0
done
check "-m copy of a directory: the tree arrived on 3 hosts: $(show)" \
    test "$(count '\| CHANGED')" = 3 -a "$ok_tree" = 1

an -m fetch -a "src={{ base }}/motd.txt dest=$FLEET/fetched"
ok_fetch=1
for h in a b c; do
    cmp -s "$SRC/motd.txt" "$FLEET/fetched/enc-$h$FLEET/$h/work/motd.txt" || ok_fetch=0
done
check "-m fetch: each host's file in fetched/HOST/PATH: $(show)" \
    test "$(count '\| CHANGED')" = 3 -a "$ok_fetch" = 1

an -m template -a "src=$SRC/app.conf.j2 dest={{ base }}/app.conf"
ok_tpl=1
for h in a b c; do
    grep -qx "host = enc-$h" "$FLEET/$h/work/app.conf" 2>/dev/null || ok_tpl=0
done
check "-m template: rendered per host: $(show)" \
    test "$(count '\| CHANGED')" = 3 -a "$ok_tpl" = 1

an -m file -a "path={{ base }}/newdir/sub state=directory mode=0750"
check "-m file state=directory: made on 3 hosts: $(show)" eval \
    'test "$(count "\| CHANGED")" = 3 && for h in a b c; do test "$(stat -c %a "$FLEET/$h/work/newdir/sub")" = 750 || exit 1; done'

an -m raw -a 'echo raw-$((6*7)); echo to-stderr >&2'
check "-m raw: runs through the server's shell on 3 hosts: $(show)" \
    test "$(count '\| CHANGED \| rc=0')" = 3 -a "$(count '^raw-42')" = 3

an -m command -a 'sh -c "echo before failing; exit 3"'
rc=$?
check "a failing command: exit 2 and rc=3 reported for each host: $(show)" \
    test "$rc" = 2 -a "$(count 'FAILED \| rc=3 >>')" = 3 -a "$(count '^before failing')" = 3

an -m shell -a 'exit 7' -b
check "become is refused, saying why: $(show)" \
    test "$(count 'does not support become')" -ge 3 -a "$(count '\| SUCCESS|CHANGED')" = 0

# A wrong pinned key: UNREACHABLE, with both keys in our message.
WRONG=$("$PIPELINE_BIN" keygen | "$PIPELINE_BIN" pubkey)
an -m ping -e "ansible_pipeline_server_key=$WRONG"
rc=$?
check "a wrong server key: exit 4 and all 3 UNREACHABLE with our message: $(show)" \
    test "$rc" = 4 -a "$(count 'UNREACHABLE!')" = 3 -a \
    "$(countf "\"msg\": \"pipeline: server key mismatch for unix:")" = 3 -a \
    "$(countf "expected $WRONG, received")" = 3
# A changed key against known_servers: the host that changed is unreachable.
kill "${FLEET_PIDS[1]}"; wait "${FLEET_PIDS[1]}" 2>/dev/null
rm -f "$FLEET/b/server.key" "$FLEET/b/s.sock"
"$PIPELINE_BIN" -c "$FLEET/b/pipeline.conf" listen --key-file "$FLEET/b/server.key" \
    2>>"$FLEET/b/server.log" &
FLEET_PIDS[1]=$!
for i in $(seq 1 200); do test -S "$FLEET/b/s.sock" && break; sleep 0.05; done
an -m ping
check "a server whose key changed is UNREACHABLE (known_servers), the others answer: $(show)" \
    test "$(count 'enc-b \| UNREACHABLE')" = 1 -a "$(count '"ping": "pong"')" = 2 -a \
    "$(count 'someone may be impersonating the server')" = 1
finish
