/**
 * The idle floor of a worker process: node with the Kafka client library alone — one node-rdkafka
 * consumer subscribed to a topic and pulling every 3 s, and one idempotent producer polled every
 * second, nothing else. Spawned by the tenancy benchmark beside the idle workers (`node
 * dist/perf/idleFloor.js BROKERS TOPIC`): what any worker holding a consumer and a producer costs
 * before kgroot's own code.
 */
import Kafka from 'node-rdkafka';

const [brokers = '127.0.0.1:9092', topic = 'cluster.registry'] = process.argv.slice(2);
const consumer = new Kafka.KafkaConsumer({ 'metadata.broker.list': brokers, 'group.id': `idle-floor-${process.pid}-${Date.now()}`, 'enable.auto.commit': false }, { 'auto.offset.reset': 'latest' });
const producer = new Kafka.Producer({ 'metadata.broker.list': brokers, 'enable.idempotence': true, dr_cb: true });
producer.connect({}, () => setInterval(() => producer.poll(), 1000));
consumer.connect({}, (err) => {
  if (err) {
    process.stderr.write(`idle floor: ${err.message}\n`);
    process.exit(1);
  }
  consumer.subscribe([topic]);
  const pull = () => consumer.consume(100, () => setTimeout(pull, 3000));
  pull();
});
process.on('SIGTERM', () => process.exit(0));
