#!/bin/sh
# Reproduces the Python precision sample and the ruff comparison.
#
#   tests/precision/python/run.sh [WORKDIR]     (default /tmp/heap-audit-precision-py)
#
# Downloads the sample packages from PyPI (no dependencies), unpacks them, copies the local
# CPython's standard library (without its tests), lists heap-audit's findings with each
# package's own `Requires-Python` as the target, and runs ruff on the same files.
# Writes WORKDIR/findings.tsv, WORKDIR/ruff.json and prints the ruff agreement.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
work=${1:-/tmp/heap-audit-precision-py}
mkdir -p "$work/pkgs" "$work/src"
cd "$work"

pip download --no-deps --quiet -d pkgs django==5.2.19 requests==2.34.2 networkx==3.6.1 pymysql==1.2.4 \
    dnspython==2.9.2 paramiko==5.1.0 pyasn1==0.6.5
for whl in pkgs/*.whl; do
    name=$(basename "$whl" .whl | sed 's/-py[23].*//')
    [ -d "src/$name" ] || python3 -m zipfile -e "$whl" "src/$name"
done
stdlib=$(python3 -c 'import sysconfig; print(sysconfig.get_paths()["stdlib"])')
version=$(python3 -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
if [ ! -d "src/cpython-$version-lib" ]; then
    (cd "$stdlib" && find . -name '*.py' -not -path './test/*' -not -path './site-packages/*' \
        -not -path '*/tests/*' -not -path './idlelib/idle_test/*' -not -path '*/test_*') |
    while read -r f; do
        mkdir -p "src/cpython-$version-lib/$(dirname "$f")"
        cp "$stdlib/$f" "src/cpython-$version-lib/$f"
    done
fi

cargo build --quiet --manifest-path "$repo/server/Cargo.toml" --example py_findings
bin="$repo/target/debug/examples/py_findings"
cd src
{
    "$bin" --target 3.10 django-5.2.19/django requests-2.34.2/requests
    "$bin" --target 3.11 networkx-3.6.1/networkx
    "$bin" --target 3.9 pymysql-1.2.4/pymysql
    "$bin" --target 3.11 dnspython-2.9.2/dns
    "$bin" --target 3.9 paramiko-5.1.0/paramiko
    "$bin" --target 3.8 pyasn1-0.6.5/pyasn1
    "$bin" --target 3.11 "cpython-$version-lib"
} > ../findings.tsv
cd ..
cut -f1,4 findings.tsv | sort | uniq -c

# ruff, in a venv of its own
[ -x venv/bin/ruff ] || { python3 -m venv venv && venv/bin/pip install --quiet ruff; }
cd src
# Each package at its own target, like heap-audit (PERF203 only reports below 3.11).
for spec in "py310 django-5.2.19/django requests-2.34.2/requests" "py311 networkx-3.6.1/networkx" \
            "py39 pymysql-1.2.4/pymysql" "py311 dnspython-2.9.2/dns" "py39 paramiko-5.1.0/paramiko" \
            "py38 pyasn1-0.6.5/pyasn1" "py311 cpython-$version-lib"; do
    set -- $spec
    target=$1; shift
    ../venv/bin/ruff check --isolated --preview --no-cache --target-version "$target" \
        --select PLR6201,PERF401,PERF203 --output-format json --exit-zero "$@"
done > ../ruff.jsonl
cd ..
python3 "$here/compare_ruff.py" findings.tsv ruff.jsonl src
