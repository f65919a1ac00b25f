#!/usr/bin/env bash
# TEST-CONTROL-PLANE: against a running server, register a test client, check its 3 workers,
# send an event, check the normalized output, check the consumer groups, print a summary.
#   KAFKA_BROKERS (127.0.0.1:9092)  CONTROL_PLANE_URL (http://127.0.0.1:7070)  CLIENT (test-<random>)
set -uo pipefail
cd "$(dirname "$0")/.."
B="${KAFKA_BROKERS:-127.0.0.1:9092}"
CP="${CONTROL_PLANE_URL:-http://127.0.0.1:7070}"
CLIENT="${CLIENT:-test-$(date +%s | tail -c 7)}"
pass=0; fail=0; summary=()
check() { if [ "$2" = 0 ]; then pass=$((pass + 1)); summary+=("PASS  $1"); else fail=$((fail + 1)); summary+=("FAIL  $1"); fi; printf '%s  %s\n' "$([ "$2" = 0 ] && echo PASS || echo FAIL)" "$1"; }

# 1. register and heartbeat (key = client id, as the agents do)
printf '{"client_id":"%s","cluster_name":"%s-cluster","k8s_version":"v1.30.4"}\n' "$CLIENT" "$CLIENT" | kcat -P -b "$B" -t cluster.registry -k "$CLIENT"
printf '{"client_id":"%s","timestamp":"%s"}\n' "$CLIENT" "$(date -u +%FT%TZ)" | kcat -P -b "$B" -t cluster.heartbeat -k "$CLIENT"
check "registered $CLIENT" $?
( while sleep 10; do printf '{"client_id":"%s","timestamp":"%s"}\n' "$CLIENT" "$(date -u +%FT%TZ)" | kcat -P -b "$B" -t cluster.heartbeat -k "$CLIENT"; done ) &
hb=$!
trap 'kill $hb 2>/dev/null' EXIT

# 2. its three workers run
workers=""
for _ in $(seq 1 60); do
  workers="$(curl -fsS "$CP/clients" | node -e "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const c=JSON.parse(s).clients.find(x=>x.client==='$CLIENT');console.log(c?c.workers.filter(w=>w.state==='running').map(w=>w.name).sort().join(' '):'')})")"
  [ "$(wc -w <<<"$workers")" = 3 ] && break
  sleep 1
done
echo "workers: $workers"
[ "$workers" = "kg-event-normalizer-$CLIENT kg-graph-builder-$CLIENT kg-log-normalizer-$CLIENT" ]
check "3 workers running (kg-event-normalizer, kg-log-normalizer, kg-graph-builder)" $?

# 3. send an event
uid="evt-$(date +%s%N)"
printf '{"apiVersion":"v1","kind":"Event","metadata":{"uid":"%s","namespace":"default","name":"web-1.1"},"involvedObject":{"kind":"Pod","namespace":"default","name":"web-1"},"reason":"OOMKilled","message":"Container web was OOMKilled","type":"Warning","firstTimestamp":"%s"}\n' "$uid" "$(date -u +%FT%TZ)" \
  | kcat -P -b "$B" -t raw.k8s.events -k "$CLIENT::event::$uid"
check "sent raw event $CLIENT::event::$uid" $?

# 4. the normalized output appears, keyed {client}::evt-{uid}
found=""
for _ in $(seq 1 30); do
  found="$(kcat -C -b "$B" -t events.normalized -o beginning -e -q -f '%k\n' 2>/dev/null | grep -F "$CLIENT::evt-$uid" | head -1)"
  [ -n "$found" ] && break
  sleep 1
done
echo "normalized: ${found:-none}"
[ -n "$found" ]
check "normalized event on events.normalized" $?

# 5. consumer groups of the client exist (Kafka's own ConsumerGroupCommand)
lib="$(ls -d "${KGROOT_CACHE_DIR:-$HOME/.cache/kgroot}"/kafka-*/lib 2>/dev/null | head -1)"
if [ -n "$lib" ]; then
  groups="$(java -cp "$lib/*" -Dlog4j.configuration=file:/dev/null org.apache.kafka.tools.consumer.group.ConsumerGroupCommand --bootstrap-server "$B" --list 2>/dev/null | grep -E -- "-$CLIENT\$" | sort | tr '\n' ' ')"
elif command -v docker >/dev/null && docker compose ps -q kafka >/dev/null 2>&1; then
  groups="$(docker compose exec -T kafka /opt/kafka/bin/kafka-consumer-groups.sh --bootstrap-server localhost:9092 --list | grep -E -- "-$CLIENT\$" | sort | tr '\n' ' ')"
fi
echo "consumer groups: ${groups:-none}"
[ "${groups:-}" = "event-normalizer-$CLIENT graph-builder-$CLIENT log-normalizer-$CLIENT " ]
check "consumer groups event-normalizer-, log-normalizer-, graph-builder-$CLIENT" $?

printf '\n== summary: %d passed, %d failed (client %s)\n' "$pass" "$fail" "$CLIENT"
printf '%s\n' "${summary[@]}"
[ "$fail" = 0 ]
