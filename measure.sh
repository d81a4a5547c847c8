#!/bin/sh
# measure.sh NAME CMD... — print load and busiest processes around a measurement
echo "== start $(date -u +%H:%M:%S) $(cat /proc/loadavg)"; ps aux --sort=-%cpu | head -6 | cut -c1-160
"$@"; rc=$?
echo "== end $(date -u +%H:%M:%S) $(cat /proc/loadavg)"; ps aux --sort=-%cpu | head -6 | cut -c1-160
exit $rc
