# bash completion for rpctrace(1)                              -*- shell-script -*-
# MIT licence, as the rest of rpctrace (LICENSE).
#
# Installed by `cmake --install` as share/bash-completion/completions/rpctrace, where the
# bash-completion package loads it on demand; it also works sourced on its own, without
# bash-completion. tests/cli/docs_options_check.py compares it with `rpctrace --help`: it
# reads the `local opts=`, `local argopts=` and `local commands=` lines and the value lists
# of the `PATTERN) COMPREPLY=($(compgen -W "..."` lines, so keep each of them on one line.

# Capture files (by extension, any case) and directories.
_rpctrace_captures()
{
    local cur=$1 f
    if declare -F _filedir >/dev/null 2>&1; then
        _filedir '@(pcap|pcapng|cap|gz|zst)'
        return
    fi
    compopt -o filenames 2>/dev/null
    local IFS=$'\n'
    for f in $(compgen -f -- "$cur"); do
        if [[ -d $f ]]; then
            COMPREPLY+=("$f")
        else
            case ${f,,} in
                *.pcap | *.pcapng | *.cap | *.gz | *.zst) COMPREPLY+=("$f") ;;
            esac
        fi
    done
}

# Network interfaces for -i: "any" and those of /sys/class/net.
_rpctrace_ifaces()
{
    local cur=$1 d
    local -a names=(any)
    for d in /sys/class/net/*; do
        [[ -e $d ]] && names+=("${d##*/}")
    done
    COMPREPLY=($(compgen -W "${names[*]}" -- "$cur"))
}

_rpctrace()
{
    local cur prev words cword split=false
    if declare -F _init_completion >/dev/null 2>&1; then
        _init_completion -s || return
    else
        # Without bash-completion, "=" is a word of its own: --format=jsonl is
        # "--format" "=" "jsonl".
        COMPREPLY=()
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=
        ((cword > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
        if [[ $cur == = ]]; then
            cur=
        elif [[ $prev == = ]] && ((cword > 1)); then
            prev=${COMP_WORDS[COMP_CWORD - 2]}
        fi
    fi

    local opts="-h --help --version -r --read -i --live -c --count -p --no-promiscuous-mode --threads --format -w --write --calls -t --time-format --color --summary -q --quiet --port --host --interface --opnum --conversation --since --until --all --slow --max-connections --max-out-of-order-bytes --idle-timeout --max-calls --max-contexts --max-stub-bytes"
    local argopts="-r --read -i --live -c --count --threads --format -w --write -t --time-format --color --port --host --interface --opnum --conversation --since --until --slow --max-connections --max-out-of-order-bytes --idle-timeout --max-calls --max-contexts --max-stub-bytes"
    local commands="endpoints diagnose summary stats"

    case $prev in
        --format) COMPREPLY=($(compgen -W "text jsonl zeek" -- "$cur")) ; return ;;
        -t | --time-format) COMPREPLY=($(compgen -W "d r u ud a ad e" -- "$cur")) ; return ;;
        --color) COMPREPLY=($(compgen -W "auto always never" -- "$cur")) ; return ;;
        -w | --write)
            _rpctrace_captures "$cur"
            [[ -z $cur || $cur == - ]] && COMPREPLY+=(-)
            return
            ;;
        -i | --live)
            _rpctrace_ifaces "$cur"
            return
            ;;
        -r | --read)
            _rpctrace_captures "$cur"
            [[ -z $cur || $cur == - ]] && COMPREPLY+=(-)
            return
            ;;
        -h | --help | --version)
            return
            ;;
    esac
    # Options whose value has nothing to offer (numbers, addresses, names, times).
    if [[ " $argopts " == *" $prev "* ]]; then
        return
    fi
    $split && return

    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
        return
    fi

    # A command may only be the first word that is neither an option nor an option's value.
    local i w skip=false positional=false
    for ((i = 1; i < cword; i++)); do
        w=${words[i]}
        if [[ $w == = ]]; then
            skip=true
            continue
        fi
        if $skip; then
            skip=false
            continue
        fi
        if [[ $w == -- ]]; then
            positional=true
            break
        fi
        if [[ " $argopts " == *" $w "* ]]; then
            skip=true
        elif [[ $w != -* || $w == - ]]; then
            positional=true
            break
        fi
    done

    if ! $positional; then
        COMPREPLY=($(compgen -W "$commands" -- "$cur"))
    fi
    _rpctrace_captures "$cur"
} &&
    complete -F _rpctrace rpctrace

# ex: filetype=sh
