
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'belfry' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'belfry'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'belfry' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('agent', 'agent', [CompletionResultType]::ParameterValue, 'Run a Belfry node (a server with --server)')
            [CompletionResult]::new('jobs', 'jobs', [CompletionResultType]::ParameterValue, 'List, show, run and delete jobs')
            [CompletionResult]::new('members', 'members', [CompletionResultType]::ParameterValue, 'List the cluster''s members as gossip sees them, with each server''s clock offset')
            [CompletionResult]::new('leader', 'leader', [CompletionResultType]::ParameterValue, 'Print the current leader: its name, HTTP API address (for --http-addr) and gossip address')
            [CompletionResult]::new('health', 'health', [CompletionResultType]::ParameterValue, 'Can the cluster take a failure now? Voters, quorum, failure tolerance, each server''s contact, lag, clock offset and launch backlog, and warnings. Fit for a monitoring check: exit 0 healthy, 1 degraded (a leader, but a server down, lagging or out of contact, a clock beyond --max-clock-offset, or launches waiting for a slot), 2 no answer or no leader')
            [CompletionResult]::new('raft', 'raft', [CompletionResultType]::ParameterValue, 'Inspect and change the Raft configuration')
            [CompletionResult]::new('join', 'join', [CompletionResultType]::ParameterValue, 'Make the node at --http-addr join the cluster through these gossip addresses')
            [CompletionResult]::new('leave', 'leave', [CompletionResultType]::ParameterValue, 'Make the node at --http-addr leave the cluster and stop gracefully')
            [CompletionResult]::new('force-leave', 'force-leave', [CompletionResultType]::ParameterValue, 'Remove a failed server from the Raft configuration')
            [CompletionResult]::new('demote', 'demote', [CompletionResultType]::ParameterValue, 'Turn a running server into an agent (survives restarts until `promote`)')
            [CompletionResult]::new('promote', 'promote', [CompletionResultType]::ParameterValue, 'Turn a demoted server back into a server')
            [CompletionResult]::new('top', 'top', [CompletionResultType]::ParameterValue, 'Live dashboard: leader, quorum health, nodes, jobs, executions and cluster events')
            [CompletionResult]::new('acl', 'acl', [CompletionResultType]::ParameterValue, 'ACL tokens: bootstrap, create, list, delete; the fixed roles')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Print the version of this binary and its formats')
            [CompletionResult]::new('keygen', 'keygen', [CompletionResultType]::ParameterValue, 'Print a new random cluster key for --encrypt')
            [CompletionResult]::new('cluster-key', 'cluster-key', [CompletionResultType]::ParameterValue, 'Print the cluster key a bootstrapping server generated in its data dir, for --encrypt')
            [CompletionResult]::new('tls', 'tls', [CompletionResultType]::ParameterValue, 'Make a CA and certificates for the HTTP API''s TLS')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Check configuration offline')
            [CompletionResult]::new('snapshot', 'snapshot', [CompletionResultType]::ParameterValue, 'Back up and restore the cluster''s state (verified .tar.zst archives)')
            [CompletionResult]::new('upgrade', 'upgrade', [CompletionResultType]::ParameterValue, 'Rolling upgrades: is the next node safe to take down, and is it back?')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions to stdout')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page, or write every page into a directory')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Regenerate the checked-in completions/ and man/ under ROOT')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'belfry;agent' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Config file (YAML; keys are the flag names, so a dkron.yml works as it is)')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'Run as a server: store the state, take part in Raft, schedule when leading [default: false]')
            [CompletionResult]::new('--bootstrap-expect', '--bootstrap-expect', [CompletionResultType]::ParameterName, 'Servers to wait for before bootstrapping the cluster (1 = bootstrap alone) [default: 0]')
            [CompletionResult]::new('--node-name', '--node-name', [CompletionResultType]::ParameterName, 'Unique name of this node (letters, digits, ''-'', ''_'' and ''.'') [default: the host name]')
            [CompletionResult]::new('--bind', '--bind', [CompletionResultType]::ParameterName, 'Gossip bind address, IP or IP:port [default: 127.0.0.1:8946]')
            [CompletionResult]::new('--bind-addr', '--bind-addr', [CompletionResultType]::ParameterName, 'Gossip bind address, IP or IP:port [default: 127.0.0.1:8946]')
            [CompletionResult]::new('--advertise', '--advertise', [CompletionResultType]::ParameterName, 'Address advertised to other nodes [default: the bind address]')
            [CompletionResult]::new('--advertise-addr', '--advertise-addr', [CompletionResultType]::ParameterName, 'Address advertised to other nodes [default: the bind address]')
            [CompletionResult]::new('--rpc-port', '--rpc-port', [CompletionResultType]::ParameterName, 'Internal RPC port, on the bind IP [default: 6868]')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Where the Raft log and the state live [default: belfry.data]')
            [CompletionResult]::new('--tag', '--tag', [CompletionResultType]::ParameterName, 'Node tag key=value (repeatable; replaces the config file''s tags)')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region: Raft membership and job targeting stay within it [default: global]')
            [CompletionResult]::new('--datacenter', '--datacenter', [CompletionResultType]::ParameterName, 'Datacenter, informational [default: dc1]')
            [CompletionResult]::new('--log-level', '--log-level', [CompletionResultType]::ParameterName, 'Log level: trace, debug, info, warn, error [default: info]')
            [CompletionResult]::new('--log-format', '--log-format', [CompletionResultType]::ParameterName, 'Log format: text (coloured only on a terminal, never with NO_COLOR) or json (one object a line) [default: text]')
            [CompletionResult]::new('--output-limit', '--output-limit', [CompletionResultType]::ParameterName, 'Bytes of output kept per execution, from the end [default: 65536]')
            [CompletionResult]::new('--history-limit', '--history-limit', [CompletionResultType]::ParameterName, 'Executions kept per job (oldest finished dropped first) [default: 100]')
            [CompletionResult]::new('--restore-limit', '--restore-limit', [CompletionResultType]::ParameterName, 'Largest state snapshot accepted by an online restore (POST /v1/operator/restore); the body is streamed to a temporary file and refused past this size [default: 1073741824]')
            [CompletionResult]::new('--shutdown-grace', '--shutdown-grace', [CompletionResultType]::ParameterName, 'On SIGTERM/SIGINT, how long running jobs may finish before they are killed [default: 30s]')
            [CompletionResult]::new('--job-nice', '--job-nice', [CompletionResultType]::ParameterName, 'Nice value job processes start with, so the control plane keeps its deadlines when jobs saturate the CPU; 0 to 19, 0 = the agent''s own priority [default: 10]')
            [CompletionResult]::new('--job-cgroup', '--job-cgroup', [CompletionResultType]::ParameterName, 'Cgroup job processes run in, with a low CPU weight against the node: `auto` makes one where the host allows (cgroup v1 cpu, or v2 from the root cgroup), an absolute path names a prepared cgroup directory, `off` keeps jobs in the node''s cgroup [default: auto]')
            [CompletionResult]::new('--max-parallel', '--max-parallel', [CompletionResultType]::ParameterName, 'Job processes this node runs at once; accepted launches beyond wait for a slot, in order (late, never lost); 0 = no limit [default: 4 per CPU core, at least 4]')
            [CompletionResult]::new('--join', '--join', [CompletionResultType]::ParameterName, 'Gossip address to join once at start (repeatable; a failure is only a warning)')
            [CompletionResult]::new('--retry-join', '--retry-join', [CompletionResultType]::ParameterName, 'Gossip address to join, retried until it works (repeatable; DNS names re-resolved)')
            [CompletionResult]::new('--retry-interval', '--retry-interval', [CompletionResultType]::ParameterName, 'Time between --retry-join attempts [default: 30s]')
            [CompletionResult]::new('--retry-max', '--retry-max', [CompletionResultType]::ParameterName, 'Attempts before --retry-join gives up and the agent exits; 0 = forever [default: 0]')
            [CompletionResult]::new('--encrypt', '--encrypt', [CompletionResultType]::ParameterName, 'Cluster key (base64, 16/24/32 bytes; see `belfry keygen`, `belfry cluster-key`): encrypts and authenticates gossip and RPC; required except on a server bootstrapping a new one-server cluster, which generates it [default: generated by a one-server bootstrap, else required]')
            [CompletionResult]::new('--dead-server-timeout', '--dead-server-timeout', [CompletionResultType]::ParameterName, 'How long a failed server stays a Raft voter before it is removed [default: 5m]')
            [CompletionResult]::new('--max-clock-offset', '--max-clock-offset', [CompletionResultType]::ParameterName, 'How far a server''s wall clock may be from the voters'' median (measured continuously) before it hands leadership over and stops standing for election; under 60s [default: 500ms]')
            [CompletionResult]::new('--raft-multiplier', '--raft-multiplier', [CompletionResultType]::ParameterName, 'Scales Raft''s heartbeat (50 ms) and election timeouts (150-200 ms), 1 (fastest failover, for servers with cores to spare) to 10; 2 keeps leadership steady when jobs saturate the CPU [default: 2]')
            [CompletionResult]::new('--acl-enabled', '--acl-enabled', [CompletionResultType]::ParameterName, 'Every HTTP API request but /health needs an ACL token (see `belfry acl bootstrap`) [default: false]')
            [CompletionResult]::new('--audit-log', '--audit-log', [CompletionResultType]::ParameterName, 'Append one JSON line per mutating API request (who, what, result) to FILE (created 0600)')
            [CompletionResult]::new('--metrics-addr', '--metrics-addr', [CompletionResultType]::ParameterName, 'Also serve /metrics without a token on this loopback address (for a local scraper)')
            [CompletionResult]::new('--mail-host', '--mail-host', [CompletionResultType]::ParameterName, 'SMTP server for the mail to a job''s owner_email when an execution ends (with --mail-port)')
            [CompletionResult]::new('--mail-port', '--mail-port', [CompletionResultType]::ParameterName, 'SMTP port; mail is sent only when --mail-host and --mail-port are both set')
            [CompletionResult]::new('--mail-username', '--mail-username', [CompletionResultType]::ParameterName, 'SMTP user for AUTH PLAIN, with --mail-password (sent only over STARTTLS or to loopback)')
            [CompletionResult]::new('--mail-password', '--mail-password', [CompletionResultType]::ParameterName, 'SMTP password (prefer BELFRY_MAIL_PASSWORD or the config file: flags show in ps)')
            [CompletionResult]::new('--mail-from', '--mail-from', [CompletionResultType]::ParameterName, 'Mail sender, `addr@host` or `Name <addr@host>`; required to send mail')
            [CompletionResult]::new('--mail-payload', '--mail-payload', [CompletionResultType]::ParameterName, 'Mail body template (Go template syntax, see docs) [default: {{.Output}}]')
            [CompletionResult]::new('--mail-subject-prefix', '--mail-subject-prefix', [CompletionResultType]::ParameterName, 'Subject prefix; the subject is `<prefix><Success|Failed> <job> execution report` [default: [Dkron]]')
            [CompletionResult]::new('--pre-webhook-endpoint', '--pre-webhook-endpoint', [CompletionResultType]::ParameterName, 'URL the leader POSTs to when an execution starts')
            [CompletionResult]::new('--pre-webhook-payload', '--pre-webhook-payload', [CompletionResultType]::ParameterName, 'Body template of the start webhook [default: {{.Report}}]')
            [CompletionResult]::new('--pre-webhook-headers', '--pre-webhook-headers', [CompletionResultType]::ParameterName, 'Header `Name: value` of the start webhook (repeatable; `Host` sets the request''s host)')
            [CompletionResult]::new('--webhook-endpoint', '--webhook-endpoint', [CompletionResultType]::ParameterName, 'URL the leader POSTs to when an execution ends (after its last retry)')
            [CompletionResult]::new('--webhook-payload', '--webhook-payload', [CompletionResultType]::ParameterName, 'Body template of the end webhook [default: {{.Report}}]')
            [CompletionResult]::new('--webhook-headers', '--webhook-headers', [CompletionResultType]::ParameterName, 'Header `Name: value` of the end webhook (repeatable; `Host` sets the request''s host)')
            [CompletionResult]::new('--tls-cert', '--tls-cert', [CompletionResultType]::ParameterName, 'PEM certificate (chain) the HTTP API serves TLS with (with --tls-key); re-read on SIGHUP and when the file changes')
            [CompletionResult]::new('--tls-key', '--tls-key', [CompletionResultType]::ParameterName, 'PEM private key of --tls-cert')
            [CompletionResult]::new('--tls-client-ca', '--tls-client-ca', [CompletionResultType]::ParameterName, 'PEM CA: the HTTP API then requires client certificates signed by it')
            [CompletionResult]::new('--cors-allowed-origin', '--cors-allowed-origin', [CompletionResultType]::ParameterName, 'Browser origin (scheme://host[:port]) allowed to call the API: CORS and writes (repeatable)')
            [CompletionResult]::new('--allowed-host', '--allowed-host', [CompletionResultType]::ParameterName, 'Host header value accepted besides the node''s IPs, localhost and node name: `host` or `host:port` (repeatable)')
            [CompletionResult]::new('--header-read-timeout', '--header-read-timeout', [CompletionResultType]::ParameterName, 'Time a connection (HTTP API and RPC) has to send a request''s headers or finish its TLS handshake; idle keep-alive connections are closed after it too [default: 10s]')
            [CompletionResult]::new('--max-connections', '--max-connections', [CompletionResultType]::ParameterName, 'Open connections per listener (HTTP API, RPC) [default: 4096]')
            [CompletionResult]::new('--max-connections-per-ip', '--max-connections-per-ip', [CompletionResultType]::ParameterName, 'Open connections per client IP per listener [default: 256]')
            [CompletionResult]::new('--allow-su', '--allow-su', [CompletionResultType]::ParameterName, 'Let shell jobs use `su` to run as another user (off: such runs fail) [default: false]')
            [CompletionResult]::new('--insecure-http', '--insecure-http', [CompletionResultType]::ParameterName, 'Serve the HTTP API on a non-loopback address without ACLs or client certificates (protected mode refuses to start otherwise; warned at every start) [default: false]')
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;jobs' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List jobs')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show a job and its recent executions')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a job now, wait for it to finish on every target node, print each node''s result')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a job and its executions')
            [CompletionResult]::new('executions', 'executions', [CompletionResultType]::ParameterValue, 'List a job''s executions, newest first; with --output ID, print that execution''s output')
            [CompletionResult]::new('apply', 'apply', [CompletionResultType]::ParameterValue, 'Create or update jobs from a file: one job or a list, YAML or JSON. Idempotent (an unchanged job is not written); every job is checked before any is written')
            [CompletionResult]::new('toggle', 'toggle', [CompletionResultType]::ParameterValue, 'Pause a job, or resume a paused one (Dkron''s toggle: ticks while paused are not run)')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write every job definition as Dkron''s JSON array, sorted by name (diffs cleanly)')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Create or update jobs from a JSON array (an export, or Dkron''s GET /v1/jobs)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'belfry;jobs;list' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (Dkron''s job array)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;jobs;show' {
            [CompletionResult]::new('--executions', '--executions', [CompletionResultType]::ParameterName, 'Executions to show, newest first')
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON: {"job": …, "executions": […]}')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;jobs;run' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (the run''s executions, one per node)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;jobs;delete' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (the deleted job)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;jobs;executions' {
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Print the output of this execution (an id from the list) and nothing else')
            [CompletionResult]::new('--limit', '--limit', [CompletionResultType]::ParameterName, 'Executions to list')
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (the executions, or with --output the one execution)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;jobs;apply' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'The file (`-`: standard input)')
            [CompletionResult]::new('--file', '--file', [CompletionResultType]::ParameterName, 'The file (`-`: standard input)')
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would change, field by field (`field: old → new`), and change nothing')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON: every job''s action, its changed fields, and the totals')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;jobs;toggle' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (the job after the toggle)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;jobs;export' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write to FILE (atomically) instead of stdout')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write to FILE (atomically) instead of stdout')
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;jobs;import' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show what would change, change nothing')
            [CompletionResult]::new('--prune', '--prune', [CompletionResultType]::ParameterName, 'Also delete the jobs the file does not name')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON: every job''s action and the totals')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;jobs;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List jobs')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show a job and its recent executions')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a job now, wait for it to finish on every target node, print each node''s result')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a job and its executions')
            [CompletionResult]::new('executions', 'executions', [CompletionResultType]::ParameterValue, 'List a job''s executions, newest first; with --output ID, print that execution''s output')
            [CompletionResult]::new('apply', 'apply', [CompletionResultType]::ParameterValue, 'Create or update jobs from a file: one job or a list, YAML or JSON. Idempotent (an unchanged job is not written); every job is checked before any is written')
            [CompletionResult]::new('toggle', 'toggle', [CompletionResultType]::ParameterValue, 'Pause a job, or resume a paused one (Dkron''s toggle: ticks while paused are not run)')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write every job definition as Dkron''s JSON array, sorted by name (diffs cleanly)')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Create or update jobs from a JSON array (an export, or Dkron''s GET /v1/jobs)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'belfry;jobs;help;list' {
            break
        }
        'belfry;jobs;help;show' {
            break
        }
        'belfry;jobs;help;run' {
            break
        }
        'belfry;jobs;help;delete' {
            break
        }
        'belfry;jobs;help;executions' {
            break
        }
        'belfry;jobs;help;apply' {
            break
        }
        'belfry;jobs;help;toggle' {
            break
        }
        'belfry;jobs;help;export' {
            break
        }
        'belfry;jobs;help;import' {
            break
        }
        'belfry;jobs;help;help' {
            break
        }
        'belfry;members' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (Dkron''s member array; servers also carry `clockOffsetMs`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;leader' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;health' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (`GET /v1/operator/health`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;raft' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('list-peers', 'list-peers', [CompletionResultType]::ParameterValue, 'List the Raft servers: node, id, address, state, voter, replication progress')
            [CompletionResult]::new('remove-peer', 'remove-peer', [CompletionResultType]::ParameterValue, 'Remove a server from the Raft configuration (a live one only with --force)')
            [CompletionResult]::new('transfer-leadership', 'transfer-leadership', [CompletionResultType]::ParameterValue, 'Hand leadership to NODE, or to the most caught-up voter')
            [CompletionResult]::new('recover', 'recover', [CompletionResultType]::ParameterValue, 'On a STOPPED server whose cluster lost its quorum for good: make the surviving servers the only voters (Consul''s peers.json). See docs/operations.md before using it')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'belfry;raft;list-peers' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;raft;remove-peer' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Remove a server gossip sees alive: it is kept out for 60 s, then added back as a learner unless it stopped or became an agent (to keep it running outside Raft, use `belfry demote`)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;raft;transfer-leadership' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;raft;recover' {
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'The stopped server''s data dir')
            [CompletionResult]::new('--voters', '--voters', [CompletionResultType]::ParameterName, 'The surviving servers that become the voters (names or hex ids) [default: this node]')
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;raft;help' {
            [CompletionResult]::new('list-peers', 'list-peers', [CompletionResultType]::ParameterValue, 'List the Raft servers: node, id, address, state, voter, replication progress')
            [CompletionResult]::new('remove-peer', 'remove-peer', [CompletionResultType]::ParameterValue, 'Remove a server from the Raft configuration (a live one only with --force)')
            [CompletionResult]::new('transfer-leadership', 'transfer-leadership', [CompletionResultType]::ParameterValue, 'Hand leadership to NODE, or to the most caught-up voter')
            [CompletionResult]::new('recover', 'recover', [CompletionResultType]::ParameterValue, 'On a STOPPED server whose cluster lost its quorum for good: make the surviving servers the only voters (Consul''s peers.json). See docs/operations.md before using it')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'belfry;raft;help;list-peers' {
            break
        }
        'belfry;raft;help;remove-peer' {
            break
        }
        'belfry;raft;help;transfer-leadership' {
            break
        }
        'belfry;raft;help;recover' {
            break
        }
        'belfry;raft;help;help' {
            break
        }
        'belfry;join' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;leave' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;force-leave' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;demote' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Even if the voters left alive could not form a quorum')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;promote' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;top' {
            [CompletionResult]::new('--refresh', '--refresh', [CompletionResultType]::ParameterName, 'Time between reads of the cluster''s state (jobs: twice that; node load: ten times)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Limit on each request: a node slower than this counts as not answering')
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('--read-only', '--read-only', [CompletionResultType]::ParameterName, 'Watch only: no runs, toggles or demotions')
            [CompletionResult]::new('--no-color', '--no-color', [CompletionResultType]::ParameterName, 'No colours (also when NO_COLOR is set); the screen says everything in words too')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;acl' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('bootstrap', 'bootstrap', [CompletionResultType]::ParameterValue, 'Create the cluster''s first management token (once per cluster, no token needed) and print its secret, which is shown only this once')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Create, list and delete tokens (needs a management token)')
            [CompletionResult]::new('roles', 'roles', [CompletionResultType]::ParameterValue, 'List the fixed roles and the permissions each holds')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'belfry;acl;bootstrap' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (accessor, secret, role, created_at)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;acl;token' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a token and print its accessor and secret (the secret is shown only this once)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List tokens: accessor, role, scope, description, creation time (never secrets)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a token by its accessor id; it stops working at once')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'belfry;acl;token;create' {
            [CompletionResult]::new('--role', '--role', [CompletionResultType]::ParameterName, 'management, operator, job-writer or read-only (see `belfry acl roles`)')
            [CompletionResult]::new('--prefix', '--prefix', [CompletionResultType]::ParameterName, 'job-writer only: job names it may write start with PREFIX (repeatable)')
            [CompletionResult]::new('--selector', '--selector', [CompletionResultType]::ParameterName, 'job-writer only: jobs it may write carry this metadata (repeatable, all must match)')
            [CompletionResult]::new('--description', '--description', [CompletionResultType]::ParameterName, 'What the token is for')
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON (includes the secret)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;acl;token;list' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;acl;token;delete' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;acl;token;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a token and print its accessor and secret (the secret is shown only this once)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List tokens: accessor, role, scope, description, creation time (never secrets)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a token by its accessor id; it stops working at once')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'belfry;acl;token;help;create' {
            break
        }
        'belfry;acl;token;help;list' {
            break
        }
        'belfry;acl;token;help;delete' {
            break
        }
        'belfry;acl;token;help;help' {
            break
        }
        'belfry;acl;roles' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;acl;help' {
            [CompletionResult]::new('bootstrap', 'bootstrap', [CompletionResultType]::ParameterValue, 'Create the cluster''s first management token (once per cluster, no token needed) and print its secret, which is shown only this once')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Create, list and delete tokens (needs a management token)')
            [CompletionResult]::new('roles', 'roles', [CompletionResultType]::ParameterValue, 'List the fixed roles and the permissions each holds')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'belfry;acl;help;bootstrap' {
            break
        }
        'belfry;acl;help;token' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a token and print its accessor and secret (the secret is shown only this once)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List tokens: accessor, role, scope, description, creation time (never secrets)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a token by its accessor id; it stops working at once')
            break
        }
        'belfry;acl;help;token;create' {
            break
        }
        'belfry;acl;help;token;list' {
            break
        }
        'belfry;acl;help;token;delete' {
            break
        }
        'belfry;acl;help;roles' {
            break
        }
        'belfry;acl;help;help' {
            break
        }
        'belfry;version' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;keygen' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;cluster-key' {
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'The data dir of the server that bootstrapped the cluster')
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;tls' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('ca', 'ca', [CompletionResultType]::ParameterValue, 'Make or inspect the cluster''s certificate authority')
            [CompletionResult]::new('cert', 'cert', [CompletionResultType]::ParameterValue, 'Make certificates signed by the CA')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'belfry;tls;ca' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Write a new CA: belfry-agent-ca.pem and belfry-agent-ca-key.pem (key mode 0600)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'belfry;tls;ca;create' {
            [CompletionResult]::new('--out-dir', '--out-dir', [CompletionResultType]::ParameterName, 'Directory to write into')
            [CompletionResult]::new('--days', '--days', [CompletionResultType]::ParameterName, 'Validity in days')
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace files that exist')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;tls;ca;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Write a new CA: belfry-agent-ca.pem and belfry-agent-ca-key.pem (key mode 0600)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'belfry;tls;ca;help;create' {
            break
        }
        'belfry;tls;ca;help;help' {
            break
        }
        'belfry;tls;cert' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Write a certificate and key signed by the CA: <region>-server-belfry-N.pem for --server, <region>-client-belfry-N.pem for --client (key mode 0600)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'belfry;tls;cert;create' {
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'The CA certificate')
            [CompletionResult]::new('--ca-key', '--ca-key', [CompletionResultType]::ParameterName, 'The CA''s key')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'File name prefix and common name [default: <region>-server-belfry or <region>-client-belfry]')
            [CompletionResult]::new('--region', '--region', [CompletionResultType]::ParameterName, 'Region in the default name [default: global]')
            [CompletionResult]::new('--ip', '--ip', [CompletionResultType]::ParameterName, 'Extra IP address the server certificate is valid for (repeatable)')
            [CompletionResult]::new('--dns', '--dns', [CompletionResultType]::ParameterName, 'Extra DNS name the server certificate is valid for (repeatable)')
            [CompletionResult]::new('--out-dir', '--out-dir', [CompletionResultType]::ParameterName, 'Directory to write into')
            [CompletionResult]::new('--days', '--days', [CompletionResultType]::ParameterName, 'Validity in days')
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('--server', '--server', [CompletionResultType]::ParameterName, 'A server certificate (for --tls-cert); names: localhost, 127.0.0.1, ::1, --dns, --ip')
            [CompletionResult]::new('--client', '--client', [CompletionResultType]::ParameterName, 'A client certificate (for --client-cert against --tls-client-ca)')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace files that exist')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;tls;cert;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Write a certificate and key signed by the CA: <region>-server-belfry-N.pem for --server, <region>-client-belfry-N.pem for --client (key mode 0600)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'belfry;tls;cert;help;create' {
            break
        }
        'belfry;tls;cert;help;help' {
            break
        }
        'belfry;tls;help' {
            [CompletionResult]::new('ca', 'ca', [CompletionResultType]::ParameterValue, 'Make or inspect the cluster''s certificate authority')
            [CompletionResult]::new('cert', 'cert', [CompletionResultType]::ParameterValue, 'Make certificates signed by the CA')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'belfry;tls;help;ca' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Write a new CA: belfry-agent-ca.pem and belfry-agent-ca-key.pem (key mode 0600)')
            break
        }
        'belfry;tls;help;ca;create' {
            break
        }
        'belfry;tls;help;cert' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Write a certificate and key signed by the CA: <region>-server-belfry-N.pem for --server, <region>-client-belfry-N.pem for --client (key mode 0600)')
            break
        }
        'belfry;tls;help;cert;create' {
            break
        }
        'belfry;tls;help;help' {
            break
        }
        'belfry;config' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Validate an agent config file and print the effective settings (file, BELFRY_* environment and defaults); every bad key is named. Exit 0 if valid, 2 if not')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'belfry;config;check' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;config;help' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Validate an agent config file and print the effective settings (file, BELFRY_* environment and defaults); every bad key is named. Exit 0 if valid, 2 if not')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'belfry;config;help;check' {
            break
        }
        'belfry;config;help;help' {
            break
        }
        'belfry;snapshot' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('save', 'save', [CompletionResultType]::ParameterValue, 'Save a consistent point-in-time archive of the cluster state (through the leader)')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Verify an archive (checksums, every row, and the signature when given the cluster key) and show what it holds (offline)')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Replace the cluster''s state with an archive''s (or seed a new data dir with --data-dir)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'belfry;snapshot;save' {
            [CompletionResult]::new('--output-dir', '--output-dir', [CompletionResultType]::ParameterName, 'Write belfry-<cluster>-<UTC timestamp>.tar.zst into DIR')
            [CompletionResult]::new('--keep', '--keep', [CompletionResultType]::ParameterName, 'With --output-dir: keep the newest N archives of this cluster, delete older ones')
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Read a stopped server''s data dir instead of a running cluster')
            [CompletionResult]::new('--encrypt', '--encrypt', [CompletionResultType]::ParameterName, 'Cluster key (base64, as given to the agent''s --encrypt): signs the archive on save, verifies its signature on inspect and restore')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The agent''s config file: its `encrypt` key is used when --encrypt is not given')
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('--stale', '--stale', [CompletionResultType]::ParameterName, 'Read from the node at --http-addr without confirming it is up to date')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing on success (for cron)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing on success (for cron)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;snapshot;inspect' {
            [CompletionResult]::new('--encrypt', '--encrypt', [CompletionResultType]::ParameterName, 'Cluster key (base64, as given to the agent''s --encrypt): signs the archive on save, verifies its signature on inspect and restore')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The agent''s config file: its `encrypt` key is used when --encrypt is not given')
            [CompletionResult]::new('--max-size', '--max-size', [CompletionResultType]::ParameterName, 'Refuse a member (state.snap, jobs.json) larger than this, decompressed')
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;snapshot;restore' {
            [CompletionResult]::new('--data-dir', '--data-dir', [CompletionResultType]::ParameterName, 'Seed this (empty) data dir for a new one-server cluster instead')
            [CompletionResult]::new('--encrypt', '--encrypt', [CompletionResultType]::ParameterName, 'Cluster key (base64, as given to the agent''s --encrypt): signs the archive on save, verifies its signature on inspect and restore')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'The agent''s config file: its `encrypt` key is used when --encrypt is not given')
            [CompletionResult]::new('--max-size', '--max-size', [CompletionResultType]::ParameterName, 'Refuse a member (state.snap, jobs.json) larger than this, decompressed')
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Do not ask for confirmation')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'With --data-dir: replace what the data dir holds')
            [CompletionResult]::new('--allow-unsigned', '--allow-unsigned', [CompletionResultType]::ParameterName, 'Restore an archive whose signature cannot be checked (unsigned, or no key given)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;snapshot;help' {
            [CompletionResult]::new('save', 'save', [CompletionResultType]::ParameterValue, 'Save a consistent point-in-time archive of the cluster state (through the leader)')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Verify an archive (checksums, every row, and the signature when given the cluster key) and show what it holds (offline)')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Replace the cluster''s state with an archive''s (or seed a new data dir with --data-dir)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'belfry;snapshot;help;save' {
            break
        }
        'belfry;snapshot;help;inspect' {
            break
        }
        'belfry;snapshot;help;restore' {
            break
        }
        'belfry;snapshot;help;help' {
            break
        }
        'belfry;upgrade' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Say whether the next node can be taken down now and print the plan (agents, followers, the leader last). Exit 0 safe, 1 not safe, 2 error')
            [CompletionResult]::new('wait', 'wait', [CompletionResultType]::ParameterValue, 'After restarting NODE on the new version: wait until it is alive and, for a server, a caught-up voter (not a learner) in a healthy cluster; progress on a terminal. Exit 1 on timeout')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'belfry;upgrade;check' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'The version being rolled out [default: this binary''s]')
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print JSON')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;upgrade;wait' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up after this long')
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;upgrade;help' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Say whether the next node can be taken down now and print the plan (agents, followers, the leader last). Exit 0 safe, 1 not safe, 2 error')
            [CompletionResult]::new('wait', 'wait', [CompletionResultType]::ParameterValue, 'After restarting NODE on the new version: wait until it is alive and, for a server, a caught-up voter (not a learner) in a healthy cluster; progress on a terminal. Exit 1 on timeout')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'belfry;upgrade;help;check' {
            break
        }
        'belfry;upgrade;help;wait' {
            break
        }
        'belfry;upgrade;help;help' {
            break
        }
        'belfry;completions' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;man' {
            [CompletionResult]::new('--dir', '--dir', [CompletionResultType]::ParameterName, 'Write belfry.1 and one page per subcommand here')
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;generate' {
            [CompletionResult]::new('--http-addr', '--http-addr', [CompletionResultType]::ParameterName, 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]')
            [CompletionResult]::new('--token', '--token', [CompletionResultType]::ParameterName, 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)')
            [CompletionResult]::new('--token-file', '--token-file', [CompletionResultType]::ParameterName, 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'PEM file of the CA that signed the API''s certificate (for https:// addresses)')
            [CompletionResult]::new('--client-cert', '--client-cert', [CompletionResultType]::ParameterName, 'PEM client certificate, for a node started with --tls-client-ca')
            [CompletionResult]::new('--client-key', '--client-key', [CompletionResultType]::ParameterName, 'PEM private key of --client-cert')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'belfry;help' {
            [CompletionResult]::new('agent', 'agent', [CompletionResultType]::ParameterValue, 'Run a Belfry node (a server with --server)')
            [CompletionResult]::new('jobs', 'jobs', [CompletionResultType]::ParameterValue, 'List, show, run and delete jobs')
            [CompletionResult]::new('members', 'members', [CompletionResultType]::ParameterValue, 'List the cluster''s members as gossip sees them, with each server''s clock offset')
            [CompletionResult]::new('leader', 'leader', [CompletionResultType]::ParameterValue, 'Print the current leader: its name, HTTP API address (for --http-addr) and gossip address')
            [CompletionResult]::new('health', 'health', [CompletionResultType]::ParameterValue, 'Can the cluster take a failure now? Voters, quorum, failure tolerance, each server''s contact, lag, clock offset and launch backlog, and warnings. Fit for a monitoring check: exit 0 healthy, 1 degraded (a leader, but a server down, lagging or out of contact, a clock beyond --max-clock-offset, or launches waiting for a slot), 2 no answer or no leader')
            [CompletionResult]::new('raft', 'raft', [CompletionResultType]::ParameterValue, 'Inspect and change the Raft configuration')
            [CompletionResult]::new('join', 'join', [CompletionResultType]::ParameterValue, 'Make the node at --http-addr join the cluster through these gossip addresses')
            [CompletionResult]::new('leave', 'leave', [CompletionResultType]::ParameterValue, 'Make the node at --http-addr leave the cluster and stop gracefully')
            [CompletionResult]::new('force-leave', 'force-leave', [CompletionResultType]::ParameterValue, 'Remove a failed server from the Raft configuration')
            [CompletionResult]::new('demote', 'demote', [CompletionResultType]::ParameterValue, 'Turn a running server into an agent (survives restarts until `promote`)')
            [CompletionResult]::new('promote', 'promote', [CompletionResultType]::ParameterValue, 'Turn a demoted server back into a server')
            [CompletionResult]::new('top', 'top', [CompletionResultType]::ParameterValue, 'Live dashboard: leader, quorum health, nodes, jobs, executions and cluster events')
            [CompletionResult]::new('acl', 'acl', [CompletionResultType]::ParameterValue, 'ACL tokens: bootstrap, create, list, delete; the fixed roles')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Print the version of this binary and its formats')
            [CompletionResult]::new('keygen', 'keygen', [CompletionResultType]::ParameterValue, 'Print a new random cluster key for --encrypt')
            [CompletionResult]::new('cluster-key', 'cluster-key', [CompletionResultType]::ParameterValue, 'Print the cluster key a bootstrapping server generated in its data dir, for --encrypt')
            [CompletionResult]::new('tls', 'tls', [CompletionResultType]::ParameterValue, 'Make a CA and certificates for the HTTP API''s TLS')
            [CompletionResult]::new('config', 'config', [CompletionResultType]::ParameterValue, 'Check configuration offline')
            [CompletionResult]::new('snapshot', 'snapshot', [CompletionResultType]::ParameterValue, 'Back up and restore the cluster''s state (verified .tar.zst archives)')
            [CompletionResult]::new('upgrade', 'upgrade', [CompletionResultType]::ParameterValue, 'Rolling upgrades: is the next node safe to take down, and is it back?')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions to stdout')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the man page, or write every page into a directory')
            [CompletionResult]::new('generate', 'generate', [CompletionResultType]::ParameterValue, 'Regenerate the checked-in completions/ and man/ under ROOT')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'belfry;help;agent' {
            break
        }
        'belfry;help;jobs' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List jobs')
            [CompletionResult]::new('show', 'show', [CompletionResultType]::ParameterValue, 'Show a job and its recent executions')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a job now, wait for it to finish on every target node, print each node''s result')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a job and its executions')
            [CompletionResult]::new('executions', 'executions', [CompletionResultType]::ParameterValue, 'List a job''s executions, newest first; with --output ID, print that execution''s output')
            [CompletionResult]::new('apply', 'apply', [CompletionResultType]::ParameterValue, 'Create or update jobs from a file: one job or a list, YAML or JSON. Idempotent (an unchanged job is not written); every job is checked before any is written')
            [CompletionResult]::new('toggle', 'toggle', [CompletionResultType]::ParameterValue, 'Pause a job, or resume a paused one (Dkron''s toggle: ticks while paused are not run)')
            [CompletionResult]::new('export', 'export', [CompletionResultType]::ParameterValue, 'Write every job definition as Dkron''s JSON array, sorted by name (diffs cleanly)')
            [CompletionResult]::new('import', 'import', [CompletionResultType]::ParameterValue, 'Create or update jobs from a JSON array (an export, or Dkron''s GET /v1/jobs)')
            break
        }
        'belfry;help;jobs;list' {
            break
        }
        'belfry;help;jobs;show' {
            break
        }
        'belfry;help;jobs;run' {
            break
        }
        'belfry;help;jobs;delete' {
            break
        }
        'belfry;help;jobs;executions' {
            break
        }
        'belfry;help;jobs;apply' {
            break
        }
        'belfry;help;jobs;toggle' {
            break
        }
        'belfry;help;jobs;export' {
            break
        }
        'belfry;help;jobs;import' {
            break
        }
        'belfry;help;members' {
            break
        }
        'belfry;help;leader' {
            break
        }
        'belfry;help;health' {
            break
        }
        'belfry;help;raft' {
            [CompletionResult]::new('list-peers', 'list-peers', [CompletionResultType]::ParameterValue, 'List the Raft servers: node, id, address, state, voter, replication progress')
            [CompletionResult]::new('remove-peer', 'remove-peer', [CompletionResultType]::ParameterValue, 'Remove a server from the Raft configuration (a live one only with --force)')
            [CompletionResult]::new('transfer-leadership', 'transfer-leadership', [CompletionResultType]::ParameterValue, 'Hand leadership to NODE, or to the most caught-up voter')
            [CompletionResult]::new('recover', 'recover', [CompletionResultType]::ParameterValue, 'On a STOPPED server whose cluster lost its quorum for good: make the surviving servers the only voters (Consul''s peers.json). See docs/operations.md before using it')
            break
        }
        'belfry;help;raft;list-peers' {
            break
        }
        'belfry;help;raft;remove-peer' {
            break
        }
        'belfry;help;raft;transfer-leadership' {
            break
        }
        'belfry;help;raft;recover' {
            break
        }
        'belfry;help;join' {
            break
        }
        'belfry;help;leave' {
            break
        }
        'belfry;help;force-leave' {
            break
        }
        'belfry;help;demote' {
            break
        }
        'belfry;help;promote' {
            break
        }
        'belfry;help;top' {
            break
        }
        'belfry;help;acl' {
            [CompletionResult]::new('bootstrap', 'bootstrap', [CompletionResultType]::ParameterValue, 'Create the cluster''s first management token (once per cluster, no token needed) and print its secret, which is shown only this once')
            [CompletionResult]::new('token', 'token', [CompletionResultType]::ParameterValue, 'Create, list and delete tokens (needs a management token)')
            [CompletionResult]::new('roles', 'roles', [CompletionResultType]::ParameterValue, 'List the fixed roles and the permissions each holds')
            break
        }
        'belfry;help;acl;bootstrap' {
            break
        }
        'belfry;help;acl;token' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create a token and print its accessor and secret (the secret is shown only this once)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List tokens: accessor, role, scope, description, creation time (never secrets)')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a token by its accessor id; it stops working at once')
            break
        }
        'belfry;help;acl;token;create' {
            break
        }
        'belfry;help;acl;token;list' {
            break
        }
        'belfry;help;acl;token;delete' {
            break
        }
        'belfry;help;acl;roles' {
            break
        }
        'belfry;help;version' {
            break
        }
        'belfry;help;keygen' {
            break
        }
        'belfry;help;cluster-key' {
            break
        }
        'belfry;help;tls' {
            [CompletionResult]::new('ca', 'ca', [CompletionResultType]::ParameterValue, 'Make or inspect the cluster''s certificate authority')
            [CompletionResult]::new('cert', 'cert', [CompletionResultType]::ParameterValue, 'Make certificates signed by the CA')
            break
        }
        'belfry;help;tls;ca' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Write a new CA: belfry-agent-ca.pem and belfry-agent-ca-key.pem (key mode 0600)')
            break
        }
        'belfry;help;tls;ca;create' {
            break
        }
        'belfry;help;tls;cert' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Write a certificate and key signed by the CA: <region>-server-belfry-N.pem for --server, <region>-client-belfry-N.pem for --client (key mode 0600)')
            break
        }
        'belfry;help;tls;cert;create' {
            break
        }
        'belfry;help;config' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Validate an agent config file and print the effective settings (file, BELFRY_* environment and defaults); every bad key is named. Exit 0 if valid, 2 if not')
            break
        }
        'belfry;help;config;check' {
            break
        }
        'belfry;help;snapshot' {
            [CompletionResult]::new('save', 'save', [CompletionResultType]::ParameterValue, 'Save a consistent point-in-time archive of the cluster state (through the leader)')
            [CompletionResult]::new('inspect', 'inspect', [CompletionResultType]::ParameterValue, 'Verify an archive (checksums, every row, and the signature when given the cluster key) and show what it holds (offline)')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Replace the cluster''s state with an archive''s (or seed a new data dir with --data-dir)')
            break
        }
        'belfry;help;snapshot;save' {
            break
        }
        'belfry;help;snapshot;inspect' {
            break
        }
        'belfry;help;snapshot;restore' {
            break
        }
        'belfry;help;upgrade' {
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Say whether the next node can be taken down now and print the plan (agents, followers, the leader last). Exit 0 safe, 1 not safe, 2 error')
            [CompletionResult]::new('wait', 'wait', [CompletionResultType]::ParameterValue, 'After restarting NODE on the new version: wait until it is alive and, for a server, a caught-up voter (not a learner) in a healthy cluster; progress on a terminal. Exit 1 on timeout')
            break
        }
        'belfry;help;upgrade;check' {
            break
        }
        'belfry;help;upgrade;wait' {
            break
        }
        'belfry;help;completions' {
            break
        }
        'belfry;help;man' {
            break
        }
        'belfry;help;generate' {
            break
        }
        'belfry;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
