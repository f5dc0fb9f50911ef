# A playbook with every module the acceptance names (ping, command, copy of
# a file and a directory, template, file, fetch, raw) on three enclaves at
# once through the pipeline connection plugin; the second run changes
# nothing.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/fleet.sh"
trap 'fleet_stop; cleanup' EXIT

fleet_install || { fail "pip install of clients/python"; finish; }
fleet_start
HERE=$(cd "$(dirname "$0")" && pwd)
play() {
    timeout 300 "${ANSIBLE_PLAYBOOK[@]}" -i "$INVENTORY" -f 3 \
        -e "fetch_dir=$FLEET/fetched" "$HERE/site.yml" >"$FLEET/$1.out" 2>&1
}
# recap RUN HOST: that host's PLAY RECAP line of a run.
recap() { grep -E "^enc-$2 +:" "$FLEET/$1.out"; }

play first
rc=$?
check "first run succeeds (exit $rc): $(tail -n 5 "$FLEET/first.out" | tr '\n' ' ')" test "$rc" = 0
for h in a b c; do
    check "first run on enc-$h: ok=9, changed, nothing failed: $(recap first $h)" eval \
        'recap first $h | grep -qE "ok=9 +changed=[1-9][0-9]* +unreachable=0 +failed=0"'
    w="$FLEET/$h/work"
    check "enc-$h: the file, the tree, the template, the directory" eval \
        'cmp -s "$HERE/files/motd.txt" "$w/etc/motd.txt" &&
         diff -r "$HERE/files/tree" "$w/opt/tree" >/dev/null &&
         grep -qx "host = enc-$h" "$w/etc/app.conf" &&
         test "$(stat -c %a "$w/var/data")" = 750 &&
         test "$(stat -c %a "$w/etc/motd.txt")" = 640'
    check "enc-$h: fetched back under fetched/enc-$h/" \
        cmp -s "$w/etc/app.conf" "$FLEET/fetched/enc-$h$w/etc/app.conf"
done

play second
rc=$?
check "second run succeeds (exit $rc)" test "$rc" = 0
for h in a b c; do
    check "second run on enc-$h is idempotent: $(recap second $h)" eval \
        'recap second $h | grep -qE "ok=9 +changed=0 +unreachable=0 +failed=0"'
done
check "each server served calls from the playbook" eval \
    'for h in a b c; do grep -q "exec by" "$FLEET/$h/server.log" || exit 1; done'
finish
