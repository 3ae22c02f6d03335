#!/usr/bin/env bash
# ci/test.d/format.sh - run by ci/test: the code is clang-formatted.
exec bash "$(dirname "$0")/../format-check"
