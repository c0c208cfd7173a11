/// The `--help` text the three services share: how they are run, where they keep things, signals.
/// Lines stay within 80 columns (ArgumentParser would otherwise wrap them and break the layout).
public enum ServiceHelp {
    public static func discussion(for identity: ServiceIdentity) -> String {
        """
        Normally started by systemd (unit \(identity.rawValue).service; \
        `systemctl start quota-proxy` starts all three services). It can also run in \
        a shell, e.g. with a temporary state folder:

          \(identity.rawValue) --config ./config.json \\
            --state-dir /tmp/qp/state --runtime-dir /tmp/qp/run

        Files:
          config   /etc/quota-proxy/config.json ($QUOTA_PROXY_CONFIG); every key
                   has a default. Any setting can be overridden from the
                   environment as QUOTA_PROXY_<KEY_PATH>, e.g.
                   QUOTA_PROXY_LISTEN_PORT=9000; API_TOKEN adds a client key;
                   DISABLE_ANONYMOUS_FALLBACK=true sets routing.disable_fallback.
          state    /var/lib/quota-proxy ($STATE_DIRECTORY): accounts/<id>.json,
                   warmup_history.json, anonymous.json, cooldowns.json (written
                   atomically, shared by the three services) and requests/
                   (the proxy's request log).
          control  /run/quota-proxy/\(identity.socketName) ($RUNTIME_DIRECTORY):
                   newline-delimited JSON, e.g. {"id":1,"cmd":"status"}; send
                   {"id":1,"cmd":"help"} for the command list. quota-proxyctl is
                   the friendly way to use it.\(identity == .proxy ? proxyEndpoints : "")

        Signals: SIGTERM finishes work in progress and exits 0; SIGHUP (systemctl
        reload) re-reads the configuration, keeping the old one if the new one is
        invalid. Logs go to the journal under systemd
        (journalctl -u \(identity.rawValue)), to stderr otherwise.
        """
    }

    private static let proxyEndpoints = """

          http     listen.host:listen.port (127.0.0.1:8045): the OpenAI and
                   Anthropic routes, GET /v1/models, GET /healthz (no key) and
                   GET /metrics (Prometheus; a client key unless metrics.public).
        """
}
