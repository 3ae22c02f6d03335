#!/usr/bin/env bash
# ci/test.d/interop.sh - run by ci/test after the ctest runs: calibrate the suite against
# a private Postfix instance and private, unpacked (not installed) Exim and OpenSMTPD
# instances (ci/interop), using the default preset's smtpcheck.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
export SMTPCHECK_BIN=${SMTPCHECK_BIN:-$root/build/default/bin}
"$root/ci/interop" postfix
"$root/ci/interop" exim4
"$root/ci/interop" opensmtpd
