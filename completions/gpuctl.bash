_gpuctl() {
    local i cur prev opts cmd
    COMPREPLY=()
    if [[ "${BASH_VERSINFO[0]}" -ge 4 ]]; then
        cur="$2"
    else
        cur="${COMP_WORDS[COMP_CWORD]}"
    fi
    prev="$3"
    cmd=""
    opts=""

    for i in "${COMP_WORDS[@]:0:COMP_CWORD}"
    do
        case "${cmd},${i}" in
            ",$1")
                cmd="gpuctl"
                ;;
            gpuctl,bench)
                cmd="gpuctl__subcmd__bench"
                ;;
            gpuctl,burn)
                cmd="gpuctl__subcmd__burn"
                ;;
            gpuctl,completions)
                cmd="gpuctl__subcmd__completions"
                ;;
            gpuctl,config)
                cmd="gpuctl__subcmd__config"
                ;;
            gpuctl,diag)
                cmd="gpuctl__subcmd__diag"
                ;;
            gpuctl,health)
                cmd="gpuctl__subcmd__health"
                ;;
            gpuctl,list)
                cmd="gpuctl__subcmd__list"
                ;;
            gpuctl,memtest)
                cmd="gpuctl__subcmd__memtest"
                ;;
            gpuctl,monitor)
                cmd="gpuctl__subcmd__monitor"
                ;;
            gpuctl,p2p)
                cmd="gpuctl__subcmd__p2p"
                ;;
            gpuctl,probe)
                cmd="gpuctl__subcmd__probe"
                ;;
            gpuctl,schema)
                cmd="gpuctl__subcmd__schema"
                ;;
            gpuctl__subcmd__config,show)
                cmd="gpuctl__subcmd__config__subcmd__show"
                ;;
            *)
                ;;
        esac
    done

    case "${cmd}" in
        gpuctl)
            opts="-i -q -v -h -V --gpu --json --json-lines --format --quiet --call-timeout --verbose --help --version list probe burn bench p2p memtest monitor diag config schema completions health"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 1 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gpu)
                    COMPREPLY=($(compgen -W "all $(timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | sed -n 's/^ *"\(index\|uuid\|pci_bus_id\)": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\2/p')" -- "${cur}"))
                    return 0
                    ;;
                -i)
                    COMPREPLY=($(compgen -W "all $(timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | sed -n 's/^ *"\(index\|uuid\|pci_bus_id\)": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\2/p')" -- "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "table json csv" -- "${cur}"))
                    return 0
                    ;;
                --call-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        gpuctl__subcmd__bench)
            opts="-i -q -v -h -V --tests --quick --engine --min --max --thresholds --no-builtin-thresholds --save-baseline --baseline --tolerance --junit --config --gpu --json --json-lines --format --quiet --call-timeout --verbose --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --tests)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --engine)
                    COMPREPLY=($(compgen -W "auto cublas builtin" -- "${cur}"))
                    return 0
                    ;;
                --min)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --max)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --thresholds)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --save-baseline)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --baseline)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tolerance)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --junit)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gpu)
                    COMPREPLY=($(compgen -W "all $(timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | sed -n 's/^ *"\(index\|uuid\|pci_bus_id\)": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\2/p')" -- "${cur}"))
                    return 0
                    ;;
                -i)
                    COMPREPLY=($(compgen -W "all $(timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | sed -n 's/^ *"\(index\|uuid\|pci_bus_id\)": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\2/p')" -- "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "table json csv" -- "${cur}"))
                    return 0
                    ;;
                --call-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        gpuctl__subcmd__burn)
            opts="-d -i -q -v -h -V --duration --engine --mode --dtype --memory --tolerance --expect-tflops --interval --inject-fault --inject-fault-kind --inject-reference-fault --events --config --gpu --json --json-lines --format --quiet --call-timeout --verbose --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --duration)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -d)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --engine)
                    COMPREPLY=($(compgen -W "auto cublas builtin" -- "${cur}"))
                    return 0
                    ;;
                --mode)
                    COMPREPLY=($(compgen -W "gemm mixed" -- "${cur}"))
                    return 0
                    ;;
                --dtype)
                    COMPREPLY=($(compgen -W "bf16 fp16 tf32 fp32 fp64" -- "${cur}"))
                    return 0
                    ;;
                --memory)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --tolerance)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --expect-tflops)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --interval)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --inject-fault)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --inject-fault-kind)
                    COMPREPLY=($(compgen -W "gross low-bit same-bit-two-words stuck-bit-row" -- "${cur}"))
                    return 0
                    ;;
                --inject-reference-fault)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --events)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gpu)
                    COMPREPLY=($(compgen -W "all $(timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | sed -n 's/^ *"\(index\|uuid\|pci_bus_id\)": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\2/p')" -- "${cur}"))
                    return 0
                    ;;
                -i)
                    COMPREPLY=($(compgen -W "all $(timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | sed -n 's/^ *"\(index\|uuid\|pci_bus_id\)": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\2/p')" -- "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "table json csv" -- "${cur}"))
                    return 0
                    ;;
                --call-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        gpuctl__subcmd__completions)
            opts="-i -q -v -h -V --gpu --json --json-lines --format --quiet --call-timeout --verbose --help --version bash elvish fish powershell zsh"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gpu)
                    COMPREPLY=($(compgen -W "all $(timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | sed -n 's/^ *"\(index\|uuid\|pci_bus_id\)": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\2/p')" -- "${cur}"))
                    return 0
                    ;;
                -i)
                    COMPREPLY=($(compgen -W "all $(timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | sed -n 's/^ *"\(index\|uuid\|pci_bus_id\)": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\2/p')" -- "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "table json csv" -- "${cur}"))
                    return 0
                    ;;
                --call-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        gpuctl__subcmd__config)
            opts="-i -q -v -h -V --gpu --json --json-lines --format --quiet --call-timeout --verbose --help --version show"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gpu)
                    COMPREPLY=($(compgen -W "all $(timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | sed -n 's/^ *"\(index\|uuid\|pci_bus_id\)": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\2/p')" -- "${cur}"))
                    return 0
                    ;;
                -i)
                    COMPREPLY=($(compgen -W "all $(timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | sed -n 's/^ *"\(index\|uuid\|pci_bus_id\)": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\2/p')" -- "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "table json csv" -- "${cur}"))
                    return 0
                    ;;
                --call-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        gpuctl__subcmd__config__subcmd__show)
            opts="-i -q -v -h -V --config --gpu --json --json-lines --format --quiet --call-timeout --verbose --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 3 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gpu)
                    COMPREPLY=($(compgen -W "all $(timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | sed -n 's/^ *"\(index\|uuid\|pci_bus_id\)": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\2/p')" -- "${cur}"))
                    return 0
                    ;;
                -i)
                    COMPREPLY=($(compgen -W "all $(timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | sed -n 's/^ *"\(index\|uuid\|pci_bus_id\)": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\2/p')" -- "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "table json csv" -- "${cur}"))
                    return 0
                    ;;
                --call-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        gpuctl__subcmd__diag)
            opts="-r -i -q -v -h -V --level --keep-going --burn-duration --memtest-passes --expect-gpus --report --config --gpu --json --json-lines --format --quiet --call-timeout --verbose --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --level)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -r)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --burn-duration)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --memtest-passes)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --expect-gpus)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --report)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gpu)
                    COMPREPLY=($(compgen -W "all $(timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | sed -n 's/^ *"\(index\|uuid\|pci_bus_id\)": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\2/p')" -- "${cur}"))
                    return 0
                    ;;
                -i)
                    COMPREPLY=($(compgen -W "all $(timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | sed -n 's/^ *"\(index\|uuid\|pci_bus_id\)": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\2/p')" -- "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "table json csv" -- "${cur}"))
                    return 0
                    ;;
                --call-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        gpuctl__subcmd__health)
            opts="-i -q -v -h -V --expect-gpus --expect-model --min-driver --min-cuda --watch --since --no-compute --compute --compute-timeout --fail-on --config --report --temperature-margin-c --ecc-corrected-max --remap-uncorrectable-max --retired-pages-max --pcie-replay-max --nvlink-crc-max --nvlink-replay-max --nvlink-recovery-max --memory-used-max-pct --checks --skip --gpu --json --json-lines --format --quiet --call-timeout --verbose --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --expect-gpus)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --expect-model)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --min-driver)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --min-cuda)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --watch)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --since)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --compute-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --fail-on)
                    COMPREPLY=($(compgen -W "fail warn" -- "${cur}"))
                    return 0
                    ;;
                --config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --report)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --temperature-margin-c)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --ecc-corrected-max)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --remap-uncorrectable-max)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --retired-pages-max)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --pcie-replay-max)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --nvlink-crc-max)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --nvlink-replay-max)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --nvlink-recovery-max)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --memory-used-max-pct)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --checks)
                    COMPREPLY=($(compgen -W "driver cuda_driver nvml cuda gpu_count gpu_model on_bus ecc_mode ecc_volatile_uncorrected ecc_aggregate_uncorrected ecc_corrected row_remap_pending row_remap_failure row_remap_uncorrectable retired_pages xid temperature memory_temperature power power_limit clock_events pcie_link pcie_replay nvlink persistence_mode compute_mode mig memory_usage compute_self_test" -- "${cur}"))
                    return 0
                    ;;
                --skip)
                    COMPREPLY=($(compgen -W "driver cuda_driver nvml cuda gpu_count gpu_model on_bus ecc_mode ecc_volatile_uncorrected ecc_aggregate_uncorrected ecc_corrected row_remap_pending row_remap_failure row_remap_uncorrectable retired_pages xid temperature memory_temperature power power_limit clock_events pcie_link pcie_replay nvlink persistence_mode compute_mode mig memory_usage compute_self_test" -- "${cur}"))
                    return 0
                    ;;
                --gpu)
                    COMPREPLY=($(compgen -W "all $(timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | sed -n 's/^ *"\(index\|uuid\|pci_bus_id\)": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\2/p')" -- "${cur}"))
                    return 0
                    ;;
                -i)
                    COMPREPLY=($(compgen -W "all $(timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | sed -n 's/^ *"\(index\|uuid\|pci_bus_id\)": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\2/p')" -- "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "table json csv" -- "${cur}"))
                    return 0
                    ;;
                --call-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        gpuctl__subcmd__list)
            opts="-i -q -v -h -V --query --gpu --json --json-lines --format --quiet --call-timeout --verbose --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --query)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gpu)
                    COMPREPLY=($(compgen -W "all $(timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | sed -n 's/^ *"\(index\|uuid\|pci_bus_id\)": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\2/p')" -- "${cur}"))
                    return 0
                    ;;
                -i)
                    COMPREPLY=($(compgen -W "all $(timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | sed -n 's/^ *"\(index\|uuid\|pci_bus_id\)": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\2/p')" -- "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "table json csv" -- "${cur}"))
                    return 0
                    ;;
                --call-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        gpuctl__subcmd__memtest)
            opts="-d -i -q -v -h -V --duration --passes --patterns --memory --min-coverage --interval --retention-pause --inject-fault --inject-offset --inject-bit --events --config --gpu --json --json-lines --format --quiet --call-timeout --verbose --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --duration)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -d)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --passes)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --patterns)
                    COMPREPLY=($(compgen -W "zeros-ones walking-ones walking-zeros moving-inversions address random modulo" -- "${cur}"))
                    return 0
                    ;;
                --memory)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --min-coverage)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --interval)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --retention-pause)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --inject-fault)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --inject-offset)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --inject-bit)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --events)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gpu)
                    COMPREPLY=($(compgen -W "all $(timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | sed -n 's/^ *"\(index\|uuid\|pci_bus_id\)": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\2/p')" -- "${cur}"))
                    return 0
                    ;;
                -i)
                    COMPREPLY=($(compgen -W "all $(timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | sed -n 's/^ *"\(index\|uuid\|pci_bus_id\)": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\2/p')" -- "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "table json csv" -- "${cur}"))
                    return 0
                    ;;
                --call-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        gpuctl__subcmd__monitor)
            opts="-d -c -i -q -v -h -V --interval --duration --count --csv --listen --textfile --metric-names --query --pod-resources --breaker-backoff --config --gpu --json --json-lines --format --quiet --call-timeout --verbose --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --interval)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --duration)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -d)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --count)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                -c)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --listen)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --textfile)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --metric-names)
                    COMPREPLY=($(compgen -W "gpuctl dcgm" -- "${cur}"))
                    return 0
                    ;;
                --query)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --pod-resources)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --breaker-backoff)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gpu)
                    COMPREPLY=($(compgen -W "all $(timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | sed -n 's/^ *"\(index\|uuid\|pci_bus_id\)": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\2/p')" -- "${cur}"))
                    return 0
                    ;;
                -i)
                    COMPREPLY=($(compgen -W "all $(timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | sed -n 's/^ *"\(index\|uuid\|pci_bus_id\)": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\2/p')" -- "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "table json csv" -- "${cur}"))
                    return 0
                    ;;
                --call-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        gpuctl__subcmd__p2p)
            opts="-i -q -v -h -V --enable-only --size-mib --repeats --warn-below --min-bandwidth --timeout --inject-corruption --config --gpu --json --json-lines --format --quiet --call-timeout --verbose --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --size-mib)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --repeats)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --warn-below)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --min-bandwidth)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --inject-corruption)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --config)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gpu)
                    COMPREPLY=($(compgen -W "all $(timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | sed -n 's/^ *"\(index\|uuid\|pci_bus_id\)": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\2/p')" -- "${cur}"))
                    return 0
                    ;;
                -i)
                    COMPREPLY=($(compgen -W "all $(timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | sed -n 's/^ *"\(index\|uuid\|pci_bus_id\)": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\2/p')" -- "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "table json csv" -- "${cur}"))
                    return 0
                    ;;
                --call-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        gpuctl__subcmd__probe)
            opts="-i -q -v -h -V --expect --compute --timeout --gpu --json --json-lines --format --quiet --call-timeout --verbose --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --expect)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --gpu)
                    COMPREPLY=($(compgen -W "all $(timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | sed -n 's/^ *"\(index\|uuid\|pci_bus_id\)": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\2/p')" -- "${cur}"))
                    return 0
                    ;;
                -i)
                    COMPREPLY=($(compgen -W "all $(timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | sed -n 's/^ *"\(index\|uuid\|pci_bus_id\)": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\2/p')" -- "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "table json csv" -- "${cur}"))
                    return 0
                    ;;
                --call-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
        gpuctl__subcmd__schema)
            opts="-i -q -v -h -V --gpu --json --json-lines --format --quiet --call-timeout --verbose --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 2 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --gpu)
                    COMPREPLY=($(compgen -W "all $(timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | sed -n 's/^ *"\(index\|uuid\|pci_bus_id\)": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\2/p')" -- "${cur}"))
                    return 0
                    ;;
                -i)
                    COMPREPLY=($(compgen -W "all $(timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | sed -n 's/^ *"\(index\|uuid\|pci_bus_id\)": "\{0,1\}\([^",]*\)"\{0,1\},\{0,1\}$/\2/p')" -- "${cur}"))
                    return 0
                    ;;
                --format)
                    COMPREPLY=($(compgen -W "table json csv" -- "${cur}"))
                    return 0
                    ;;
                --call-timeout)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
    esac
}

if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -F _gpuctl -o nosort -o bashdefault -o default gpuctl
else
    complete -F _gpuctl -o bashdefault -o default gpuctl
fi
