import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * Test-only stand-in for dcm4che 5's TLS client side (dcm4che itself is not installable here): a plain local port
 * relayed over TLS to a DICOM TLS node, the way stunnel sits in front of DCMTK's storescu.
 *
 * The TLS set-up follows dcm4che-net and its tools' CLI: PKCS#12 key and trust stores (KeyStore.getInstance of the
 * store type), KeyManagerFactory / TrustManagerFactory with their default algorithms, SSLContext "TLS", and the enabled
 * protocols and cipher suites set on the socket. Defaults as dcm4che 5: protocols {"TLSv1.2"}; --tls enables
 * SSL_RSA_WITH_NULL_SHA, TLS_RSA_WITH_AES_128_CBC_SHA, SSL_RSA_WITH_3DES_EDE_CBC_SHA (the JDK's disabled algorithms
 * leave only the AES one on the wire); --tls-cipher (repeatable) replaces them; --tls13 / --tls12 pick the protocol.
 *
 * Usage: java DcmTlsProxy --listen PORT --connect HOST:PORT --key-store F --key-store-pass P --trust-store F
 *        --trust-store-pass P [--tls | --tls-cipher SUITE ...] [--tls13 | --tls12]
 * Prints "LISTENING port" when ready, then per connection "HANDSHAKE protocol suite" or "HANDSHAKE-FAILED message".
 */
public final class DcmTlsProxy {
    private static final String[] DCM4CHE_TLS = {"SSL_RSA_WITH_NULL_SHA", "TLS_RSA_WITH_AES_128_CBC_SHA", "SSL_RSA_WITH_3DES_EDE_CBC_SHA"};
    private static final String[] DEFAULT_TLS_PROTOCOLS = {"TLSv1.2"};

    private int listenPort;
    private String host;
    private int port;
    private String keyStore;
    private String keyStorePass = "secret";
    private String keyStoreType = "PKCS12";
    private String trustStore;
    private String trustStorePass = "secret";
    private String trustStoreType = "PKCS12";
    private final List<String> ciphers = new ArrayList<>();
    private String[] protocols = DEFAULT_TLS_PROTOCOLS;

    public static void main(String[] args) throws Exception {
        DcmTlsProxy proxy = new DcmTlsProxy();
        proxy.parse(args);
        proxy.run();
    }

    private void parse(String[] args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--listen" -> listenPort = Integer.parseInt(args[++i]);
                case "--connect" -> {
                    String[] hp = args[++i].split(":");
                    host = hp[0];
                    port = Integer.parseInt(hp[1]);
                }
                case "--key-store" -> keyStore = args[++i];
                case "--key-store-pass" -> keyStorePass = args[++i];
                case "--key-store-type" -> keyStoreType = args[++i];
                case "--trust-store" -> trustStore = args[++i];
                case "--trust-store-pass" -> trustStorePass = args[++i];
                case "--trust-store-type" -> trustStoreType = args[++i];
                case "--tls" -> ciphers.addAll(List.of(DCM4CHE_TLS));
                case "--tls-cipher" -> ciphers.add(args[++i]);
                case "--tls13" -> protocols = new String[] {"TLSv1.3"};
                case "--tls12" -> protocols = new String[] {"TLSv1.2"};
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        if (ciphers.isEmpty()) throw new IllegalArgumentException("no TLS option (--tls or --tls-cipher): dcm4che would not use TLS");
        if (host == null || keyStore == null || trustStore == null) throw new IllegalArgumentException("--connect, --key-store and --trust-store are required");
    }

    private static KeyStore load(String type, String file, String pass) throws Exception {
        KeyStore ks = KeyStore.getInstance(type);
        try (InputStream in = new FileInputStream(file)) {
            ks.load(in, pass.toCharArray());
        }
        return ks;
    }

    private SSLContext sslContext() throws Exception {
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(load(keyStoreType, keyStore, keyStorePass), keyStorePass.toCharArray());
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(load(trustStoreType, trustStore, trustStorePass));
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    private void run() throws Exception {
        SSLContext ctx = sslContext();
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), listenPort));
            System.out.println("LISTENING " + server.getLocalPort());
            System.out.flush();
            for (;;) {
                Socket local = server.accept();
                local.setTcpNoDelay(true);
                new Thread(() -> relay(ctx, local)).start();
            }
        }
    }

    private void relay(SSLContext ctx, Socket local) {
        try {
            Socket tcp = new Socket(host, port);
            tcp.setTcpNoDelay(true);
            SSLSocket tls = (SSLSocket) ctx.getSocketFactory().createSocket(tcp, host, port, true);
            tls.setEnabledProtocols(protocols);
            tls.setEnabledCipherSuites(ciphers.toArray(new String[0]));
            try {
                tls.startHandshake();
            } catch (IOException e) {
                System.out.println("HANDSHAKE-FAILED " + e.getMessage());
                System.out.flush();
                local.close();
                tls.close();
                return;
            }
            System.out.println("HANDSHAKE " + tls.getSession().getProtocol() + " " + tls.getSession().getCipherSuite());
            System.out.flush();
            Thread up = new Thread(() -> pump(local, tls));
            up.start();
            pump(tls, local);
            up.join();
        } catch (Exception e) {
            System.out.println("RELAY-ERROR " + e);
            System.out.flush();
        }
    }

    private static void pump(Socket from, Socket to) {
        byte[] buf = new byte[65536];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buf)) != -1) {
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // The other direction closes too; the peers' own logs say why.
        } finally {
            try {
                from.close();
                to.close();
            } catch (IOException e) {
                // already closed
            }
        }
    }
}
