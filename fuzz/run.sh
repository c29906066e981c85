#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 600) each, one after the other, seeded from the
# corpus fixtures, and appends one line per target to fuzz/results.txt. See fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-600}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(smbios ata_identify ata_smart ata_self_test_log nvme_identify_ctrl nvme_identify_ns nvme_smart_log nvme_sanitize_log nvme_self_test_log firmware_erase)
fi
fixtures=../agent/tests/fixtures/corpus
seed_for() {
    case "$1" in
        smbios) echo "$fixtures/smbios" ;;
        ata_*) echo "$fixtures/ata" ;;
        nvme_*) echo "$fixtures/nvme" ;;
        firmware_erase) echo "$fixtures/ata" ;;
    esac
}
export RUSTC_BOOTSTRAP=1
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" logs
    log="logs/$t.log"
    start=$(date +%s)
    # -a: debug assertions, so an arithmetic overflow is a crash too.
    nice cargo fuzz run -a "$t" "corpus/$t" "$(seed_for "$t")" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -print_final_stats=1 >"$log" 2>&1 || true
    end=$(date +%s)
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    crashed=$(grep -c 'ERROR: libFuzzer\|panicked at' "$log" || true)
    echo "$t seconds=$((end - start)) execs=$execs crash_lines=$crashed corpus=$(ls "corpus/$t" | wc -l)" | tee -a results.txt
done
