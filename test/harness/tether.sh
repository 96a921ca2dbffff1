#!/usr/bin/env bash
# tether.sh OWNER_PID GRACE_SECONDS STOP_SIGNAL -- COMMAND [ARGS...]
#
# Runs COMMAND and stops it when OWNER_PID is gone, so a test run that is killed (even with SIGKILL)
# leaves no stray servers behind. SIGTERM or SIGINT to the tether stops COMMAND the same way:
# STOP_SIGNAL first, then SIGKILL to the whole process group after GRACE_SECONDS.
# The tether is started as a session leader, so the group holds everything COMMAND started.
set -u
owner=$1
grace=$2
signal=$3
shift 4
"$@" &
child=$!
stop() {
  trap '' TERM INT
  kill "-$signal" "$child" 2>/dev/null
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$child" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL -- "-$$" 2>/dev/null
  exit "${1:-0}"
}
trap 'stop 143' TERM INT
while kill -0 "$owner" 2>/dev/null && kill -0 "$child" 2>/dev/null; do
  sleep 0.5 &
  wait $!
done
if kill -0 "$child" 2>/dev/null; then
  stop 0
fi
wait "$child"
