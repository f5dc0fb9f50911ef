# bash completion for pipeline(1): subcommands, their options, and local
# paths where a local path goes (remote paths are not completed).
# Installed as share/bash-completion/completions/pipeline; works on its
# own too (`source pipeline.bash`), without the bash-completion package.

# Global options, accepted after the subcommand too.
_pipeline_global_opts="--config --host --verbose"
_pipeline_conn_opts="--address --cid --port --server-key --known-servers
    --key-file --connect-timeout --cipher --quiet --help --expect-pcr
    --attestation-root --allow-debug --attestation-max-age
    $_pipeline_global_opts"

# Options of one subcommand.
_pipeline_opts() {
    case $1 in
    listen) echo "--port --cid --address --key-file --authorized-keys
        --max-connections --root --log-file --attestation-device
        --no-attestation --help $_pipeline_global_opts" ;;
    run) echo "$_pipeline_conn_opts --command --no-wait --stdin --no-stdin
        --env --cwd --timeout --tty" ;;
    shell) echo "$_pipeline_conn_opts --env --cwd" ;;
    attest) echo "$_pipeline_conn_opts --document --at --json" ;;
    send-file | recv-file) echo "$_pipeline_conn_opts --localpath
        --remotepath --checksum --recursive --preserve" ;;
    send-dir | recv-dir) echo "$_pipeline_conn_opts --localdir --remotedir
        --checksum --preserve" ;;
    ping) echo "$_pipeline_conn_opts" ;;
    keygen) echo "--help" ;;
    forget) echo "--known-servers --help $_pipeline_global_opts" ;;
    help) echo "" ;;
    pubkey) echo "--server --client --key-file --help $_pipeline_global_opts" ;;
    esac
}

# Options that take a value; the value's kind: file, dir, address, none.
_pipeline_arg_kind() {
    case $1 in
    -c | --config | --key-file | --known-servers | --authorized-keys | \
        --localpath | --attestation-root | --document | \
        --attestation-device | --log-file) echo file ;;
    --localdir | --root) echo dir ;;
    --address) echo address ;;
    --cid | --port | --server-key | --connect-timeout | --cipher | --command | -e | \
        --env | -w | --cwd | --timeout | --max-connections | --remotepath | \
        --remotedir | --expect-pcr | --attestation-max-age | --at | \
        --host) echo none ;;
    *) echo no ;;
    esac
}

_pipeline_files() {
    mapfile -t COMPREPLY < <(compgen -f -- "$1")
    compopt -o filenames 2>/dev/null
}

_pipeline_dirs() {
    mapfile -t COMPREPLY < <(compgen -d -- "$1")
    compopt -o filenames 2>/dev/null
}

_pipeline() {
    COMPREPLY=()
    local cur=${COMP_WORDS[COMP_CWORD]}
    local prev=${COMP_WORDS[COMP_CWORD - 1]}
    local subcommands="listen run shell send-file recv-file send-dir recv-dir
        ping attest forget keygen pubkey"
    local globals="--config --host --verbose --help --version --george --pascal"

    # The subcommand is the first word that is neither a global option
    # nor the value of -c/--config.
    local i sub='' subidx=0
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
        -c | --config | --host) ((i++)) ;;
        -*) ;;
        *)
            sub=${COMP_WORDS[i]}
            subidx=$i
            break
            ;;
        esac
    done

    if [ -z "$sub" ]; then
        case $prev in
        -c | --config)
            _pipeline_files "$cur"
            return
            ;;
        --host) return ;;
        esac
        if [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "$globals" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$subcommands" -- "$cur")
        fi
        return
    fi

    # After `run ... --` come the remote program and its arguments.
    for ((i = subidx + 1; i < COMP_CWORD; i++)); do
        [ "${COMP_WORDS[i]}" = -- ] && return
    done

    case $(_pipeline_arg_kind "$prev") in
    file)
        _pipeline_files "$cur"
        return
        ;;
    dir)
        _pipeline_dirs "$cur"
        return
        ;;
    address)
        mapfile -t COMPREPLY < <(compgen -W "vsock: tcp: unix:" -- "$cur")
        compopt -o nospace 2>/dev/null
        return
        ;;
    none) return ;;
    esac

    if [[ $cur == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$(_pipeline_opts "$sub")" -- "$cur")
        return
    fi

    # Positional arguments: count those before the cursor.
    local n=0 kind
    for ((i = subidx + 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
        -*)
            kind=$(_pipeline_arg_kind "${COMP_WORDS[i]}")
            [ "$kind" != no ] && ((i++))
            ;;
        *) ((n++)) ;;
        esac
    done
    case $sub:$n in
    send-file:0 | recv-file:1 | keygen:0) _pipeline_files "$cur" ;;
    send-dir:0 | recv-dir:1) _pipeline_dirs "$cur" ;;
    esac
}

complete -F _pipeline pipeline
