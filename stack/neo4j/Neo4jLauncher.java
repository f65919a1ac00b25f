// Starts Neo4j Community embedded with the Bolt connector on loopback, for kgroot's local stack.
// Run as a single-file program: java -cp "<neo4j jars>" Neo4jLauncher.java <home> <host> <boltPort> <pagecache>
// Auth is off: the stack listens on loopback only and exists for development and tests.
import java.nio.file.Path;
import java.time.Duration;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;

public class Neo4jLauncher {
  public static void main(String[] args) throws Exception {
    Path home = Path.of(args[0]);
    String host = args.length > 1 ? args[1] : "127.0.0.1";
    int port = args.length > 2 ? Integer.parseInt(args[2]) : 7687;
    long pagecache = args.length > 3 ? ByteUnit.parse(args[3]) : ByteUnit.mebiBytes(512);
    DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
        .setConfig(BoltConnector.enabled, true)
        .setConfig(BoltConnector.listen_address, new SocketAddress(host, port))
        .setConfig(BoltConnector.advertised_address, new SocketAddress(host, port))
        .setConfig(HttpConnector.enabled, false)
        .setConfig(GraphDatabaseSettings.auth_enabled, false)
        .setConfig(GraphDatabaseSettings.pagecache_memory, pagecache)
        .setConfig(GraphDatabaseSettings.shutdown_transaction_end_timeout, Duration.ofSeconds(5))
        // Transaction logs beyond 512 MB are pruned at checkpoints (the default keeps 2 days of them:
        // 16 GB after a day of tests and benchmarks here). Nothing here backs up from them.
        .setConfig(GraphDatabaseSettings.keep_logical_logs, "512M size")
        .build();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.out.println("kgroot-neo4j: shutting down");
      dbms.shutdown();
    }));
    System.out.println("kgroot-neo4j: bolt listening on " + host + ":" + port);
    Thread.currentThread().join();
  }
}
