# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_gpuctl_global_optspecs
    string join \n i/gpu= json json-lines format= q/quiet call-timeout= v/verbose h/help V/version
end

function __fish_gpuctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_gpuctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_gpuctl_using_subcommand
    set -l cmd (__fish_gpuctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c gpuctl -n "__fish_gpuctl_needs_command" -s i -l gpu -d 'GPUs to use: indices (as nvidia-smi numbers them), UUIDs or unique prefixes, PCI bus ids, a comma list, or `all`; each must exist' -f -a "all (timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | string match -r -g '^\s*\"(?:index|uuid|pci_bus_id)\": \"?([^\",]+)\"?,?\$')"
complete -c gpuctl -n "__fish_gpuctl_needs_command" -l format -d 'Output format' -r -f -a "table\t'A table for people'
json\t'One JSON document for scripts (`gpuctl schema` prints its schema)'
csv\t'CSV rows: `list` (one row per GPU), `health` (one per check), `bench` (one per GPU per metric), `monitor` (its `--csv`)'"
complete -c gpuctl -n "__fish_gpuctl_needs_command" -l call-timeout -d 'Bound on each driver call (NVML, and CUDA\'s enumeration); a GPU whose call does not answer in time is reported hung (FAIL) instead of hanging the command [100ms to 10m]' -r
complete -c gpuctl -n "__fish_gpuctl_needs_command" -l json -d 'Print one JSON document on stdout (same as `--format json`)'
complete -c gpuctl -n "__fish_gpuctl_needs_command" -l json-lines -d 'JSON Lines on stdout: burn\'s and memtest\'s events as they happen, then the report as the last line (`gpuctl schema`: `$defs/JsonLine`)'
complete -c gpuctl -n "__fish_gpuctl_needs_command" -s q -l quiet -d 'No progress output on stderr'
complete -c gpuctl -n "__fish_gpuctl_needs_command" -s v -l verbose -d 'Show skipped checks in tables too (they are always counted, and always in JSON)'
complete -c gpuctl -n "__fish_gpuctl_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gpuctl -n "__fish_gpuctl_needs_command" -s V -l version -d 'Print version'
complete -c gpuctl -n "__fish_gpuctl_needs_command" -f -a "list" -d 'List GPUs with identity, memory, versions, modes, limits and PCIe links'
complete -c gpuctl -n "__fish_gpuctl_needs_command" -f -a "probe" -d 'Fast health probe for Docker HEALTHCHECK and Kubernetes exec probes: exits 0 (healthy) or 1 (unhealthy), never anything else'
complete -c gpuctl -n "__fish_gpuctl_needs_command" -f -a "burn" -d 'GEMM burn-in: load every GPU to its power limit, check every result, watch thermals and throttling, and give a verdict per GPU'
complete -c gpuctl -n "__fish_gpuctl_needs_command" -f -a "bench" -d 'Benchmark every GPU (GEMM per dtype, HBM and host bandwidth, launch latency) and gate on thresholds, built-in expectations and baselines'
complete -c gpuctl -n "__fish_gpuctl_needs_command" -f -a "p2p" -d 'Peer-to-peer check of every pair of GPUs: topology, peer access, verified copies, bandwidth and latency, as GPU x GPU matrices'
complete -c gpuctl -n "__fish_gpuctl_needs_command" -f -a "memtest" -d 'Memory test at HBM speed: every pattern over (nearly) all free memory, errors with address and bits, ECC cross-check, wiped after'
complete -c gpuctl -n "__fish_gpuctl_needs_command" -f -a "monitor" -d 'Telemetry at an interval: a live table, CSV or JSON Lines, and Prometheus metrics over HTTP (--listen) or for node_exporter (--textfile)'
complete -c gpuctl -n "__fish_gpuctl_needs_command" -f -a "diag" -d 'Node acceptance by level (1 to 4): health, fabric, burn, memtest, p2p and bench as one run with one verdict'
complete -c gpuctl -n "__fish_gpuctl_needs_command" -f -a "config" -d 'The config file: every command\'s effective settings and where each came from'
complete -c gpuctl -n "__fish_gpuctl_needs_command" -f -a "schema" -d 'Print the JSON Schema of the `--json` report (JSON Schema 2020-12)'
complete -c gpuctl -n "__fish_gpuctl_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, elvish, powershell)'
complete -c gpuctl -n "__fish_gpuctl_needs_command" -f -a "health" -d 'Node health report: every check per GPU with value, threshold and remedy'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand list" -l query -d 'Columns to show, comma-separated (a table, or CSV with --format csv); nvidia-smi\'s --query-gpu names are accepted where they mean the same' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand list" -s i -l gpu -d 'GPUs to use: indices (as nvidia-smi numbers them), UUIDs or unique prefixes, PCI bus ids, a comma list, or `all`; each must exist' -f -a "all (timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | string match -r -g '^\s*\"(?:index|uuid|pci_bus_id)\": \"?([^\",]+)\"?,?\$')"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand list" -l format -d 'Output format' -r -f -a "table\t'A table for people'
json\t'One JSON document for scripts (`gpuctl schema` prints its schema)'
csv\t'CSV rows: `list` (one row per GPU), `health` (one per check), `bench` (one per GPU per metric), `monitor` (its `--csv`)'"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand list" -l call-timeout -d 'Bound on each driver call (NVML, and CUDA\'s enumeration); a GPU whose call does not answer in time is reported hung (FAIL) instead of hanging the command [100ms to 10m]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand list" -l json -d 'Print one JSON document on stdout (same as `--format json`)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand list" -l json-lines -d 'JSON Lines on stdout: burn\'s and memtest\'s events as they happen, then the report as the last line (`gpuctl schema`: `$defs/JsonLine`)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand list" -s q -l quiet -d 'No progress output on stderr'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand list" -s v -l verbose -d 'Show skipped checks in tables too (they are always counted, and always in JSON)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand list" -s V -l version -d 'Print version'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand probe" -l expect -d 'Unhealthy unless exactly this many GPUs are present [0 to 1024]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand probe" -l timeout -d 'Upper bound on the whole probe; a hung driver call fails it [1ms to 1h]. Each driver call gets the smaller of --call-timeout and 3/4 of this, so a hung GPU is named before the whole probe gives up' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand probe" -s i -l gpu -d 'GPUs to use: indices (as nvidia-smi numbers them), UUIDs or unique prefixes, PCI bus ids, a comma list, or `all`; each must exist' -f -a "all (timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | string match -r -g '^\s*\"(?:index|uuid|pci_bus_id)\": \"?([^\",]+)\"?,?\$')"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand probe" -l format -d 'Output format' -r -f -a "table\t'A table for people'
json\t'One JSON document for scripts (`gpuctl schema` prints its schema)'
csv\t'CSV rows: `list` (one row per GPU), `health` (one per check), `bench` (one per GPU per metric), `monitor` (its `--csv`)'"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand probe" -l call-timeout -d 'Bound on each driver call (NVML, and CUDA\'s enumeration); a GPU whose call does not answer in time is reported hung (FAIL) instead of hanging the command [100ms to 10m]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand probe" -l compute -d 'Also create a context and run a self-test kernel on each GPU'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand probe" -l json -d 'Print one JSON document on stdout (same as `--format json`)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand probe" -l json-lines -d 'JSON Lines on stdout: burn\'s and memtest\'s events as they happen, then the report as the last line (`gpuctl schema`: `$defs/JsonLine`)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand probe" -s q -l quiet -d 'No progress output on stderr'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand probe" -s v -l verbose -d 'Show skipped checks in tables too (they are always counted, and always in JSON)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand probe" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand probe" -s V -l version -d 'Print version'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand burn" -s d -l duration -d 'How long to burn [100ms to 7days]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand burn" -l engine -d 'GEMM implementation' -r -f -a "auto\t'cuBLASLt when it loads, else the built-in kernel'
cublas\t'cuBLASLt only (an environment error when it is missing)'
builtin\t'gpuctl\'s own tensor-core kernel, needs only the driver'"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand burn" -l mode -d 'What loads the GPU: the GEMM alone, or GEMM and HBM streaming together' -r -f -a "gemm\t'The tensor-core GEMM alone, every product verified'
mixed\t'The GEMM and a verified HBM streaming copy together, on their own streams: GPU core and memory both at full load within the power limit'"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand burn" -l dtype -d 'Operand type (accumulation is fp32, fp64 for fp64)' -r -f -a "bf16\t''
fp16\t''
tf32\t''
fp32\t''
fp64\t''"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand burn" -l memory -d 'Share of each GPU\'s free memory for operands and result buffers [5% to 100%; a bare number is a percentage]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand burn" -l tolerance -d 'WARN a GPU more than this far below the best GPU of its model [0% to 100%]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand burn" -l expect-tflops -d 'WARN a GPU whose median TFLOP/s is below this floor [above 0 up to 100000]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand burn" -l interval -d 'Telemetry sampling interval [100ms to 1h]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand burn" -l inject-fault -d 'Testing only: corrupt a result on this GPU in its second batch' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand burn" -l inject-fault-kind -d 'Testing only: the shape of the fault `--inject-fault` writes' -r -f -a "gross\t'One element set to 1e6'
low-bit\t'The lowest bit of one element flipped'
same-bit-two-words\t'The same bit flipped in two elements'
stuck-bit-row\t'One bit stuck at 1 across a row of the result'"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand burn" -l inject-reference-fault -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand burn" -l events -d 'Also write the event stream (the lines --json-lines prints: progress, then the report as the last line) to this file, as it happens, while stdout takes the table or the --json document. `-` is refused: use --json-lines for the stream on stdout' -r -F
complete -c gpuctl -n "__fish_gpuctl_using_subcommand burn" -l config -d 'TOML file of defaults for this command\'s options, in a table named after it (`gpuctl config show` lists every key); flags win. Else $GPUCTL_CONFIG, /etc/gpuctl/config.toml, ~/.config/gpuctl/config.toml' -r -F
complete -c gpuctl -n "__fish_gpuctl_using_subcommand burn" -s i -l gpu -d 'GPUs to use: indices (as nvidia-smi numbers them), UUIDs or unique prefixes, PCI bus ids, a comma list, or `all`; each must exist' -f -a "all (timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | string match -r -g '^\s*\"(?:index|uuid|pci_bus_id)\": \"?([^\",]+)\"?,?\$')"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand burn" -l format -d 'Output format' -r -f -a "table\t'A table for people'
json\t'One JSON document for scripts (`gpuctl schema` prints its schema)'
csv\t'CSV rows: `list` (one row per GPU), `health` (one per check), `bench` (one per GPU per metric), `monitor` (its `--csv`)'"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand burn" -l call-timeout -d 'Bound on each driver call (NVML, and CUDA\'s enumeration); a GPU whose call does not answer in time is reported hung (FAIL) instead of hanging the command [100ms to 10m]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand burn" -l json -d 'Print one JSON document on stdout (same as `--format json`)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand burn" -l json-lines -d 'JSON Lines on stdout: burn\'s and memtest\'s events as they happen, then the report as the last line (`gpuctl schema`: `$defs/JsonLine`)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand burn" -s q -l quiet -d 'No progress output on stderr'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand burn" -s v -l verbose -d 'Show skipped checks in tables too (they are always counted, and always in JSON)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand burn" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand burn" -s V -l version -d 'Print version'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand bench" -l tests -d 'What to measure, comma-separated: all, gemm, hbm, pcie, latency, or metric names (gemm_bf16, gemm_bf16_sustained, hbm_copy, h2d, kernel_spacing_us, launch_overhead_us, ...)' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand bench" -l engine -d 'GEMM implementation (auto: cuBLASLt when it loads, else built-in)' -r -f -a "auto\t'cuBLASLt when it loads, else the built-in kernel'
cublas\t'cuBLASLt only (an environment error when it is missing)'
builtin\t'gpuctl\'s own tensor-core kernel, needs only the driver'"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand bench" -l min -d 'Fail a GPU whose METRIC is below VALUE, e.g. gemm_bf16=700TFLOPS, hbm_copy=2.5TB/s, h2d=48GB/s (repeatable; replaces the built-in expectation for that metric)' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand bench" -l max -d 'Fail a GPU whose METRIC is above VALUE, e.g. launch_overhead_us=20us (repeatable)' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand bench" -l thresholds -d 'TOML file with [min] and [max] tables of metric = value (command-line values win)' -r -F
complete -c gpuctl -n "__fish_gpuctl_using_subcommand bench" -l save-baseline -d 'Write this node\'s results (with GPU model, driver and gpuctl version) as a baseline file' -r -F
complete -c gpuctl -n "__fish_gpuctl_using_subcommand bench" -l baseline -d 'Fail a metric more than --tolerance worse than this baseline; a baseline from another GPU model or driver is refused' -r -F
complete -c gpuctl -n "__fish_gpuctl_using_subcommand bench" -l tolerance -d 'Allowed shortfall against the baseline and against the median of the run\'s GPUs of the same model [0% to 50%]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand bench" -l junit -d 'Also write the results as JUnit XML (one testcase per GPU and metric)' -r -F
complete -c gpuctl -n "__fish_gpuctl_using_subcommand bench" -l config -d 'TOML file of defaults for this command\'s options, in a table named after it (`gpuctl config show` lists every key); flags win. Else $GPUCTL_CONFIG, /etc/gpuctl/config.toml, ~/.config/gpuctl/config.toml' -r -F
complete -c gpuctl -n "__fish_gpuctl_using_subcommand bench" -s i -l gpu -d 'GPUs to use: indices (as nvidia-smi numbers them), UUIDs or unique prefixes, PCI bus ids, a comma list, or `all`; each must exist' -f -a "all (timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | string match -r -g '^\s*\"(?:index|uuid|pci_bus_id)\": \"?([^\",]+)\"?,?\$')"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand bench" -l format -d 'Output format' -r -f -a "table\t'A table for people'
json\t'One JSON document for scripts (`gpuctl schema` prints its schema)'
csv\t'CSV rows: `list` (one row per GPU), `health` (one per check), `bench` (one per GPU per metric), `monitor` (its `--csv`)'"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand bench" -l call-timeout -d 'Bound on each driver call (NVML, and CUDA\'s enumeration); a GPU whose call does not answer in time is reported hung (FAIL) instead of hanging the command [100ms to 10m]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand bench" -l quick -d 'Short pre-job check: bf16 GEMM only (burst and a shorter sustained regime), smaller buffers, fewer repetitions (other GEMM metrics are not measured)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand bench" -l no-builtin-thresholds -d 'Do not apply gpuctl\'s built-in expectations per GPU model'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand bench" -l json -d 'Print one JSON document on stdout (same as `--format json`)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand bench" -l json-lines -d 'JSON Lines on stdout: burn\'s and memtest\'s events as they happen, then the report as the last line (`gpuctl schema`: `$defs/JsonLine`)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand bench" -s q -l quiet -d 'No progress output on stderr'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand bench" -s v -l verbose -d 'Show skipped checks in tables too (they are always counted, and always in JSON)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand bench" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand bench" -s V -l version -d 'Print version'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand p2p" -l size-mib -d 'MiB per copy; each GPU holds two buffers of this size, at most 40% of its free memory together [1 to 65536]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand p2p" -l repeats -d 'Timed copies per measurement; the median is reported [1 to 1000]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand p2p" -l warn-below -d 'WARN a pair whose copy-engine bandwidth is below this share of what its link should carry [0% to 100%]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand p2p" -l min-bandwidth -d 'FAIL a pair whose copy-engine bandwidth (GB/s, one way) is below this [above 0 up to 100000]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand p2p" -l timeout -d 'Give up on pairs not finished this long after their round began [1s to 1h]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand p2p" -l inject-corruption -d 'Testing only: corrupt the data copied from GPU A to GPU B (NVML indices A:B), to prove that corruption fails that pair alone' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand p2p" -l config -d 'TOML file of defaults for this command\'s options, in a table named after it (`gpuctl config show` lists every key); flags win. Else $GPUCTL_CONFIG, /etc/gpuctl/config.toml, ~/.config/gpuctl/config.toml' -r -F
complete -c gpuctl -n "__fish_gpuctl_using_subcommand p2p" -s i -l gpu -d 'GPUs to use: indices (as nvidia-smi numbers them), UUIDs or unique prefixes, PCI bus ids, a comma list, or `all`; each must exist' -f -a "all (timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | string match -r -g '^\s*\"(?:index|uuid|pci_bus_id)\": \"?([^\",]+)\"?,?\$')"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand p2p" -l format -d 'Output format' -r -f -a "table\t'A table for people'
json\t'One JSON document for scripts (`gpuctl schema` prints its schema)'
csv\t'CSV rows: `list` (one row per GPU), `health` (one per check), `bench` (one per GPU per metric), `monitor` (its `--csv`)'"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand p2p" -l call-timeout -d 'Bound on each driver call (NVML, and CUDA\'s enumeration); a GPU whose call does not answer in time is reported hung (FAIL) instead of hanging the command [100ms to 10m]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand p2p" -l enable-only -d 'Only check and enable peer access for every pair; copy nothing'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand p2p" -l json -d 'Print one JSON document on stdout (same as `--format json`)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand p2p" -l json-lines -d 'JSON Lines on stdout: burn\'s and memtest\'s events as they happen, then the report as the last line (`gpuctl schema`: `$defs/JsonLine`)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand p2p" -s q -l quiet -d 'No progress output on stderr'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand p2p" -s v -l verbose -d 'Show skipped checks in tables too (they are always counted, and always in JSON)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand p2p" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand p2p" -s V -l version -d 'Print version'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand memtest" -s d -l duration -d 'Repeat full passes until this much time has passed (at least one pattern runs) [100ms to 7days; default: one pass]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand memtest" -l passes -d 'Full passes over every chosen pattern [1 to 10000; default: 1]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand memtest" -l patterns -d 'Patterns to run, comma-separated [default: all, in the order listed]' -r -f -a "zeros-ones\t'All zeros, then all ones: stuck bits'
walking-ones\t'One bit set, walking through all 64 bits: stuck and shorted bits (data lines)'
walking-zeros\t'One bit clear, walking the same way'
moving-inversions\t'memtest86\'s moving inversions, word by word in address order, up then down: coupling between cells'
address\t'Each word holds its own address: aliasing (address lines)'
random\t'Random words from a new seed each run: pattern-sensitive faults'
modulo\t'memtest86\'s modulo-20: p every 20th word, the complement rewritten around it, then p checked: disturbance'"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand memtest" -l memory -d 'Share of each GPU\'s free memory to test [1% to 100%; a bare number is a percentage]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand memtest" -l min-coverage -d 'WARN when the tested memory is below this share of the free memory [0% to 100%]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand memtest" -l interval -d 'Telemetry sampling and progress interval [100ms to 1h]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand memtest" -l retention-pause -d 'Add the retention (bit-fade) pattern: each of its two waits lasts this long [1s to 1h; default: not run]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand memtest" -l inject-fault -d 'Testing only: flip one bit on the GPU with this index after the first pattern is written, to prove the flip is found' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand memtest" -l inject-offset -d 'Testing only: byte offset of the word to flip (a multiple of 8)' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand memtest" -l inject-bit -d 'Testing only: bit of the 64-bit word to flip [0 to 63]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand memtest" -l events -d 'Also write the event stream (the lines --json-lines prints: progress, then the report as the last line) to this file, as it happens, while stdout takes the table or the --json document. `-` is refused: use --json-lines for the stream on stdout' -r -F
complete -c gpuctl -n "__fish_gpuctl_using_subcommand memtest" -l config -d 'TOML file of defaults for this command\'s options, in a table named after it (`gpuctl config show` lists every key); flags win. Else $GPUCTL_CONFIG, /etc/gpuctl/config.toml, ~/.config/gpuctl/config.toml' -r -F
complete -c gpuctl -n "__fish_gpuctl_using_subcommand memtest" -s i -l gpu -d 'GPUs to use: indices (as nvidia-smi numbers them), UUIDs or unique prefixes, PCI bus ids, a comma list, or `all`; each must exist' -f -a "all (timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | string match -r -g '^\s*\"(?:index|uuid|pci_bus_id)\": \"?([^\",]+)\"?,?\$')"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand memtest" -l format -d 'Output format' -r -f -a "table\t'A table for people'
json\t'One JSON document for scripts (`gpuctl schema` prints its schema)'
csv\t'CSV rows: `list` (one row per GPU), `health` (one per check), `bench` (one per GPU per metric), `monitor` (its `--csv`)'"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand memtest" -l call-timeout -d 'Bound on each driver call (NVML, and CUDA\'s enumeration); a GPU whose call does not answer in time is reported hung (FAIL) instead of hanging the command [100ms to 10m]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand memtest" -l json -d 'Print one JSON document on stdout (same as `--format json`)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand memtest" -l json-lines -d 'JSON Lines on stdout: burn\'s and memtest\'s events as they happen, then the report as the last line (`gpuctl schema`: `$defs/JsonLine`)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand memtest" -s q -l quiet -d 'No progress output on stderr'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand memtest" -s v -l verbose -d 'Show skipped checks in tables too (they are always counted, and always in JSON)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand memtest" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand memtest" -s V -l version -d 'Print version'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand monitor" -l interval -d 'Time between samples [100ms to 1h]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand monitor" -s d -l duration -d 'Stop after this long [100ms to 1year 18h]; default: until a signal' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand monitor" -s c -l count -d 'Stop after this many samples of each GPU [1 to 1000000000]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand monitor" -l listen -d 'Serve /metrics and /healthz on this address (e.g. 0.0.0.0:9835, 127.0.0.1:0 for a free port)' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand monitor" -l textfile -d 'Write the metrics to this file each interval, for node_exporter\'s textfile collector (name it *.prom)' -r -F
complete -c gpuctl -n "__fish_gpuctl_using_subcommand monitor" -l metric-names -d 'Metric names and labels: gpuctl\'s (Prometheus conventions) or dcgm-exporter\'s, so existing dashboards work unchanged' -r -f -a "gpuctl\t'Prometheus conventions: `gpuctl_*`, base units, `_total` counters; labels gpu, uuid, pci_bus_id, model, hostname'
dcgm\t'dcgm-exporter\'s names (`DCGM_FI_DEV_*`, its units) and labels (gpu, UUID, pci_bus_id, device, modelName, Hostname), all as gauges'"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand monitor" -l query -d 'Columns to show (table and CSV), e.g. index,power.draw,temperature.gpu' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand monitor" -l pod-resources -d 'Label each GPU\'s metrics with the pod, namespace and container the kubelet gave it to, from its pod-resources API at SOCKET (default /var/lib/kubelet/pod-resources/kubelet.sock), asked once per interval' -r -F
complete -c gpuctl -n "__fish_gpuctl_using_subcommand monitor" -l breaker-backoff -d 'Testing only: the circuit breaker\'s first back-off [100ms to 1h]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand monitor" -l config -d 'TOML file of defaults for this command\'s options, in a table named after it (`gpuctl config show` lists every key); flags win. Else $GPUCTL_CONFIG, /etc/gpuctl/config.toml, ~/.config/gpuctl/config.toml' -r -F
complete -c gpuctl -n "__fish_gpuctl_using_subcommand monitor" -s i -l gpu -d 'GPUs to use: indices (as nvidia-smi numbers them), UUIDs or unique prefixes, PCI bus ids, a comma list, or `all`; each must exist' -f -a "all (timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | string match -r -g '^\s*\"(?:index|uuid|pci_bus_id)\": \"?([^\",]+)\"?,?\$')"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand monitor" -l format -d 'Output format' -r -f -a "table\t'A table for people'
json\t'One JSON document for scripts (`gpuctl schema` prints its schema)'
csv\t'CSV rows: `list` (one row per GPU), `health` (one per check), `bench` (one per GPU per metric), `monitor` (its `--csv`)'"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand monitor" -l call-timeout -d 'Bound on each driver call (NVML, and CUDA\'s enumeration); a GPU whose call does not answer in time is reported hung (FAIL) instead of hanging the command [100ms to 10m]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand monitor" -l csv -d 'Print CSV with a header line instead of the table'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand monitor" -l json -d 'Print one JSON document on stdout (same as `--format json`)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand monitor" -l json-lines -d 'JSON Lines on stdout: burn\'s and memtest\'s events as they happen, then the report as the last line (`gpuctl schema`: `$defs/JsonLine`)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand monitor" -s q -l quiet -d 'No progress output on stderr'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand monitor" -s v -l verbose -d 'Show skipped checks in tables too (they are always counted, and always in JSON)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand monitor" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand monitor" -s V -l version -d 'Print version'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand diag" -s r -l level -d '1: health without compute and the fabric (seconds); 2: adds compute, a short burn, a fast memtest pass, a quick p2p and bench (about 2 min); 3: a 10-minute burn with GEMM and HBM streaming together (burn --mode mixed), a full memtest pass, full bench and p2p (about 15 min); 4: level 3 longer, with memtest\'s retention pattern (an hour or more) [1 to 4]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand diag" -l burn-duration -d 'The burn phase\'s duration instead of the level\'s [100ms to 7days]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand diag" -l memtest-passes -d 'The memtest phase\'s full passes instead of the level\'s [1 to 10000]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand diag" -l expect-gpus -d 'Fail unless exactly this many GPUs are present (health\'s --expect-gpus) [0 to 1024]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand diag" -l report -d 'Also write an RMA bundle (.tar.gz named by host, time and verdict) into this directory' -r -F
complete -c gpuctl -n "__fish_gpuctl_using_subcommand diag" -l config -d 'TOML file of defaults for this command\'s options, in a table named after it (`gpuctl config show` lists every key); flags win. Else $GPUCTL_CONFIG, /etc/gpuctl/config.toml, ~/.config/gpuctl/config.toml' -r -F
complete -c gpuctl -n "__fish_gpuctl_using_subcommand diag" -s i -l gpu -d 'GPUs to use: indices (as nvidia-smi numbers them), UUIDs or unique prefixes, PCI bus ids, a comma list, or `all`; each must exist' -f -a "all (timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | string match -r -g '^\s*\"(?:index|uuid|pci_bus_id)\": \"?([^\",]+)\"?,?\$')"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand diag" -l format -d 'Output format' -r -f -a "table\t'A table for people'
json\t'One JSON document for scripts (`gpuctl schema` prints its schema)'
csv\t'CSV rows: `list` (one row per GPU), `health` (one per check), `bench` (one per GPU per metric), `monitor` (its `--csv`)'"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand diag" -l call-timeout -d 'Bound on each driver call (NVML, and CUDA\'s enumeration); a GPU whose call does not answer in time is reported hung (FAIL) instead of hanging the command [100ms to 10m]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand diag" -l keep-going -d 'Run every phase even after one FAILs (default: stop at the first FAIL)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand diag" -l json -d 'Print one JSON document on stdout (same as `--format json`)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand diag" -l json-lines -d 'JSON Lines on stdout: burn\'s and memtest\'s events as they happen, then the report as the last line (`gpuctl schema`: `$defs/JsonLine`)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand diag" -s q -l quiet -d 'No progress output on stderr'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand diag" -s v -l verbose -d 'Show skipped checks in tables too (they are always counted, and always in JSON)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand diag" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand diag" -s V -l version -d 'Print version'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand config; and not __fish_seen_subcommand_from show" -s i -l gpu -d 'GPUs to use: indices (as nvidia-smi numbers them), UUIDs or unique prefixes, PCI bus ids, a comma list, or `all`; each must exist' -f -a "all (timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | string match -r -g '^\s*\"(?:index|uuid|pci_bus_id)\": \"?([^\",]+)\"?,?\$')"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand config; and not __fish_seen_subcommand_from show" -l format -d 'Output format' -r -f -a "table\t'A table for people'
json\t'One JSON document for scripts (`gpuctl schema` prints its schema)'
csv\t'CSV rows: `list` (one row per GPU), `health` (one per check), `bench` (one per GPU per metric), `monitor` (its `--csv`)'"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand config; and not __fish_seen_subcommand_from show" -l call-timeout -d 'Bound on each driver call (NVML, and CUDA\'s enumeration); a GPU whose call does not answer in time is reported hung (FAIL) instead of hanging the command [100ms to 10m]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand config; and not __fish_seen_subcommand_from show" -l json -d 'Print one JSON document on stdout (same as `--format json`)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand config; and not __fish_seen_subcommand_from show" -l json-lines -d 'JSON Lines on stdout: burn\'s and memtest\'s events as they happen, then the report as the last line (`gpuctl schema`: `$defs/JsonLine`)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand config; and not __fish_seen_subcommand_from show" -s q -l quiet -d 'No progress output on stderr'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand config; and not __fish_seen_subcommand_from show" -s v -l verbose -d 'Show skipped checks in tables too (they are always counted, and always in JSON)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand config; and not __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand config; and not __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand config; and not __fish_seen_subcommand_from show" -f -a "show" -d 'Print every command\'s config keys: the effective value and where it came from (default, file:PATH:LINE, env GPUCTL_CONFIG=PATH:LINE), which file was found and the search order (`--json`: one document)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand config; and __fish_seen_subcommand_from show" -l config -d 'TOML file of defaults for this command\'s options, in a table named after it (`gpuctl config show` lists every key); flags win. Else $GPUCTL_CONFIG, /etc/gpuctl/config.toml, ~/.config/gpuctl/config.toml' -r -F
complete -c gpuctl -n "__fish_gpuctl_using_subcommand config; and __fish_seen_subcommand_from show" -s i -l gpu -d 'GPUs to use: indices (as nvidia-smi numbers them), UUIDs or unique prefixes, PCI bus ids, a comma list, or `all`; each must exist' -f -a "all (timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | string match -r -g '^\s*\"(?:index|uuid|pci_bus_id)\": \"?([^\",]+)\"?,?\$')"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand config; and __fish_seen_subcommand_from show" -l format -d 'Output format' -r -f -a "table\t'A table for people'
json\t'One JSON document for scripts (`gpuctl schema` prints its schema)'
csv\t'CSV rows: `list` (one row per GPU), `health` (one per check), `bench` (one per GPU per metric), `monitor` (its `--csv`)'"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand config; and __fish_seen_subcommand_from show" -l call-timeout -d 'Bound on each driver call (NVML, and CUDA\'s enumeration); a GPU whose call does not answer in time is reported hung (FAIL) instead of hanging the command [100ms to 10m]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand config; and __fish_seen_subcommand_from show" -l json -d 'Print one JSON document on stdout (same as `--format json`)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand config; and __fish_seen_subcommand_from show" -l json-lines -d 'JSON Lines on stdout: burn\'s and memtest\'s events as they happen, then the report as the last line (`gpuctl schema`: `$defs/JsonLine`)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand config; and __fish_seen_subcommand_from show" -s q -l quiet -d 'No progress output on stderr'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand config; and __fish_seen_subcommand_from show" -s v -l verbose -d 'Show skipped checks in tables too (they are always counted, and always in JSON)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand config; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand config; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand schema" -s i -l gpu -d 'GPUs to use: indices (as nvidia-smi numbers them), UUIDs or unique prefixes, PCI bus ids, a comma list, or `all`; each must exist' -f -a "all (timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | string match -r -g '^\s*\"(?:index|uuid|pci_bus_id)\": \"?([^\",]+)\"?,?\$')"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand schema" -l format -d 'Output format' -r -f -a "table\t'A table for people'
json\t'One JSON document for scripts (`gpuctl schema` prints its schema)'
csv\t'CSV rows: `list` (one row per GPU), `health` (one per check), `bench` (one per GPU per metric), `monitor` (its `--csv`)'"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand schema" -l call-timeout -d 'Bound on each driver call (NVML, and CUDA\'s enumeration); a GPU whose call does not answer in time is reported hung (FAIL) instead of hanging the command [100ms to 10m]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand schema" -l json -d 'Print one JSON document on stdout (same as `--format json`)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand schema" -l json-lines -d 'JSON Lines on stdout: burn\'s and memtest\'s events as they happen, then the report as the last line (`gpuctl schema`: `$defs/JsonLine`)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand schema" -s q -l quiet -d 'No progress output on stderr'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand schema" -s v -l verbose -d 'Show skipped checks in tables too (they are always counted, and always in JSON)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand schema" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand schema" -s V -l version -d 'Print version'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand completions" -s i -l gpu -d 'GPUs to use: indices (as nvidia-smi numbers them), UUIDs or unique prefixes, PCI bus ids, a comma list, or `all`; each must exist' -f -a "all (timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | string match -r -g '^\s*\"(?:index|uuid|pci_bus_id)\": \"?([^\",]+)\"?,?\$')"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand completions" -l format -d 'Output format' -r -f -a "table\t'A table for people'
json\t'One JSON document for scripts (`gpuctl schema` prints its schema)'
csv\t'CSV rows: `list` (one row per GPU), `health` (one per check), `bench` (one per GPU per metric), `monitor` (its `--csv`)'"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand completions" -l call-timeout -d 'Bound on each driver call (NVML, and CUDA\'s enumeration); a GPU whose call does not answer in time is reported hung (FAIL) instead of hanging the command [100ms to 10m]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand completions" -l json -d 'Print one JSON document on stdout (same as `--format json`)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand completions" -l json-lines -d 'JSON Lines on stdout: burn\'s and memtest\'s events as they happen, then the report as the last line (`gpuctl schema`: `$defs/JsonLine`)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand completions" -s q -l quiet -d 'No progress output on stderr'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand completions" -s v -l verbose -d 'Show skipped checks in tables too (they are always counted, and always in JSON)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand completions" -s V -l version -d 'Print version'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand health" -l expect-gpus -d 'Fail unless exactly this many GPUs are present [0 to 1024]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand health" -l expect-model -d 'Fail any GPU whose name does not contain this text (e.g. "H100")' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand health" -l min-driver -d 'Oldest acceptable driver, e.g. 535.104 (1 to 4 numbers, each fits 32 bits)' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand health" -l min-cuda -d 'Oldest acceptable CUDA version the driver supports, e.g. 12.2' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand health" -l watch -d 'Watch NVML XID events for at least this long (they are watched for the whole run in any case) [0s to 1h; default: 0s]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand health" -l since -d 'Scan the kernel log for XID lines this far back [0s to 30days; default: 24h]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand health" -l compute-timeout -d 'Fail a self-test that has not finished after this long [1ms to 1h; default: 10s]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand health" -l fail-on -d 'Exit 1 on FAIL only (default), or on WARN too' -r -f -a "fail\t'Only a FAIL fails the run'
warn\t'A WARN fails the run too'"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand health" -l config -d 'TOML file of defaults for this command\'s options, in a table named after it (`gpuctl config show` lists every key); flags win. Else $GPUCTL_CONFIG, /etc/gpuctl/config.toml, ~/.config/gpuctl/config.toml' -r -F
complete -c gpuctl -n "__fish_gpuctl_using_subcommand health" -l report -d 'Also write an RMA bundle (.tar.gz named by host, time and verdict) into this directory' -r -F
complete -c gpuctl -n "__fish_gpuctl_using_subcommand health" -l temperature-margin-c -d 'WARN when a temperature is within this many °C of its slowdown threshold [0 to 50 °C; default: 5 °C]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand health" -l ecc-corrected-max -d 'WARN above this many corrected ECC errors since reset [0 to 1000000000; default: 1000]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand health" -l remap-uncorrectable-max -d 'WARN above this many rows remapped for uncorrectable errors [0 to 1000000000; default: 8]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand health" -l retired-pages-max -d 'FAIL at this many retired pages, pre-Ampere GPUs [1 to 1000000000; default: 60]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand health" -l pcie-replay-max -d 'WARN above this many PCIe replays since the driver loaded [0 to 1000000000; default: 100]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand health" -l nvlink-crc-max -d 'WARN above this many NVLink CRC errors on any link [0 to 1000000000; default: 100]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand health" -l nvlink-replay-max -d 'WARN above this many NVLink replays on any link [0 to 1000000000; default: 100]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand health" -l nvlink-recovery-max -d 'WARN above this many NVLink recoveries on any link [0 to 1000000000; default: 10]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand health" -l memory-used-max-pct -d 'WARN when more than this percentage of memory is in use [0% to 100%; default: 95%]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand health" -l checks -d 'Run only these checks (names or prefixes, comma-separated: ecc,xid)' -r -f -a "driver\t''
cuda_driver\t''
nvml\t''
cuda\t''
gpu_count\t''
gpu_model\t''
on_bus\t''
ecc_mode\t''
ecc_volatile_uncorrected\t''
ecc_aggregate_uncorrected\t''
ecc_corrected\t''
row_remap_pending\t''
row_remap_failure\t''
row_remap_uncorrectable\t''
retired_pages\t''
xid\t''
temperature\t''
memory_temperature\t''
power\t''
power_limit\t''
clock_events\t''
pcie_link\t''
pcie_replay\t''
nvlink\t''
persistence_mode\t''
compute_mode\t''
mig\t''
memory_usage\t''
compute_self_test\t''"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand health" -l skip -d 'Skip these checks (names or prefixes, comma-separated)' -r -f -a "driver\t''
cuda_driver\t''
nvml\t''
cuda\t''
gpu_count\t''
gpu_model\t''
on_bus\t''
ecc_mode\t''
ecc_volatile_uncorrected\t''
ecc_aggregate_uncorrected\t''
ecc_corrected\t''
row_remap_pending\t''
row_remap_failure\t''
row_remap_uncorrectable\t''
retired_pages\t''
xid\t''
temperature\t''
memory_temperature\t''
power\t''
power_limit\t''
clock_events\t''
pcie_link\t''
pcie_replay\t''
nvlink\t''
persistence_mode\t''
compute_mode\t''
mig\t''
memory_usage\t''
compute_self_test\t''"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand health" -s i -l gpu -d 'GPUs to use: indices (as nvidia-smi numbers them), UUIDs or unique prefixes, PCI bus ids, a comma list, or `all`; each must exist' -f -a "all (timeout -s KILL 1 gpuctl list --json --call-timeout 300ms 2>/dev/null | string match -r -g '^\s*\"(?:index|uuid|pci_bus_id)\": \"?([^\",]+)\"?,?\$')"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand health" -l format -d 'Output format' -r -f -a "table\t'A table for people'
json\t'One JSON document for scripts (`gpuctl schema` prints its schema)'
csv\t'CSV rows: `list` (one row per GPU), `health` (one per check), `bench` (one per GPU per metric), `monitor` (its `--csv`)'"
complete -c gpuctl -n "__fish_gpuctl_using_subcommand health" -l call-timeout -d 'Bound on each driver call (NVML, and CUDA\'s enumeration); a GPU whose call does not answer in time is reported hung (FAIL) instead of hanging the command [100ms to 10m]' -r
complete -c gpuctl -n "__fish_gpuctl_using_subcommand health" -l no-compute -d 'Skip the compute self-test (and with it the checks judged under load)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand health" -l compute -d 'Run the compute self-test (the default): overrides `compute = false` in the config file\'s `[health]`'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand health" -l json -d 'Print one JSON document on stdout (same as `--format json`)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand health" -l json-lines -d 'JSON Lines on stdout: burn\'s and memtest\'s events as they happen, then the report as the last line (`gpuctl schema`: `$defs/JsonLine`)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand health" -s q -l quiet -d 'No progress output on stderr'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand health" -s v -l verbose -d 'Show skipped checks in tables too (they are always counted, and always in JSON)'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand health" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gpuctl -n "__fish_gpuctl_using_subcommand health" -s V -l version -d 'Print version'
