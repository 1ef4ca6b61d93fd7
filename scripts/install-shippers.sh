#!/usr/bin/env bash
# Unpacks Debian's rsyslog (+ rsyslog-kafka) and syslog-ng (+ syslog-ng-mod-rdkafka) under one
# directory (default /opt/brook-shippers, or $1), for the tests and benchmarks that run them as
# unprivileged test processes (test/inputs/shippers.test.ts, bench/macro/syslog-tcp.ts).
#
# Why unpack instead of `apt-get install`: the two packages conflict (both provide
# system-log-daemon), and installing either would start the system's syslog daemon. Unpacked,
# nothing is started and the system's logging is left alone. Their shared libraries are ordinary
# dependencies and are installed with apt-get.
set -euo pipefail
prefix="${1:-/opt/brook-shippers}"
if [ -x "$prefix/usr/sbin/rsyslogd" ] && [ -x "$prefix/usr/sbin/syslog-ng" ]; then exit 0; fi
export DEBIAN_FRONTEND=noninteractive
libraries=(librdkafka1 libestr0 libfastjson4 liblognorm5 libivykis0 libjson-c5 libnet1 libwrap0 libglib2.0-0 libpcre3)
# Package lists may be missing on a fresh machine: update once if the first try cannot find them.
apt-get install -y -qq "${libraries[@]}" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "${libraries[@]}" >/dev/null; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
chmod 777 "$work"   # apt's download runs as _apt
(cd "$work" && apt-get download -qq rsyslog rsyslog-kafka syslog-ng-core syslog-ng-mod-rdkafka)
mkdir -p "$prefix"
for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$prefix"; done
"$prefix/usr/sbin/rsyslogd" -v | head -1
LD_LIBRARY_PATH="$(dirname "$(find "$prefix" -name 'libsyslog-ng*.so*' | head -1)")" "$prefix/usr/sbin/syslog-ng" --version | head -1
