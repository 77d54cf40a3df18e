# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_belfry_global_optspecs
    string join \n http-addr= token= token-file= ca= client-cert= client-key= h/help V/version
end

function __fish_belfry_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_belfry_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_belfry_using_subcommand
    set -l cmd (__fish_belfry_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c belfry -n "__fish_belfry_needs_command" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_needs_command" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_needs_command" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_needs_command" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_needs_command" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_needs_command" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_needs_command" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_needs_command" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_needs_command" -f -a "agent" -d 'Run a Belfry node (a server with --server)'
complete -c belfry -n "__fish_belfry_needs_command" -f -a "jobs" -d 'List, show, run and delete jobs'
complete -c belfry -n "__fish_belfry_needs_command" -f -a "members" -d 'List the cluster\'s members as gossip sees them, with each server\'s clock offset'
complete -c belfry -n "__fish_belfry_needs_command" -f -a "leader" -d 'Print the current leader: its name, HTTP API address (for --http-addr) and gossip address'
complete -c belfry -n "__fish_belfry_needs_command" -f -a "health" -d 'Can the cluster take a failure now? Voters, quorum, failure tolerance, each server\'s contact, lag, clock offset and launch backlog, and warnings. Fit for a monitoring check: exit 0 healthy, 1 degraded (a leader, but a server down, lagging or out of contact, a clock beyond --max-clock-offset, or launches waiting for a slot), 2 no answer or no leader'
complete -c belfry -n "__fish_belfry_needs_command" -f -a "raft" -d 'Inspect and change the Raft configuration'
complete -c belfry -n "__fish_belfry_needs_command" -f -a "join" -d 'Make the node at --http-addr join the cluster through these gossip addresses'
complete -c belfry -n "__fish_belfry_needs_command" -f -a "leave" -d 'Make the node at --http-addr leave the cluster and stop gracefully'
complete -c belfry -n "__fish_belfry_needs_command" -f -a "force-leave" -d 'Remove a failed server from the Raft configuration'
complete -c belfry -n "__fish_belfry_needs_command" -f -a "demote" -d 'Turn a running server into an agent (survives restarts until `promote`)'
complete -c belfry -n "__fish_belfry_needs_command" -f -a "promote" -d 'Turn a demoted server back into a server'
complete -c belfry -n "__fish_belfry_needs_command" -f -a "top" -d 'Live dashboard: leader, quorum health, nodes, jobs, executions and cluster events'
complete -c belfry -n "__fish_belfry_needs_command" -f -a "acl" -d 'ACL tokens: bootstrap, create, list, delete; the fixed roles'
complete -c belfry -n "__fish_belfry_needs_command" -f -a "version" -d 'Print the version of this binary and its formats'
complete -c belfry -n "__fish_belfry_needs_command" -f -a "keygen" -d 'Print a new random cluster key for --encrypt'
complete -c belfry -n "__fish_belfry_needs_command" -f -a "cluster-key" -d 'Print the cluster key a bootstrapping server generated in its data dir, for --encrypt'
complete -c belfry -n "__fish_belfry_needs_command" -f -a "tls" -d 'Make a CA and certificates for the HTTP API\'s TLS'
complete -c belfry -n "__fish_belfry_needs_command" -f -a "config" -d 'Check configuration offline'
complete -c belfry -n "__fish_belfry_needs_command" -f -a "snapshot" -d 'Back up and restore the cluster\'s state (verified .tar.zst archives)'
complete -c belfry -n "__fish_belfry_needs_command" -f -a "upgrade" -d 'Rolling upgrades: is the next node safe to take down, and is it back?'
complete -c belfry -n "__fish_belfry_needs_command" -f -a "completions" -d 'Print shell completions to stdout'
complete -c belfry -n "__fish_belfry_needs_command" -f -a "man" -d 'Print the man page, or write every page into a directory'
complete -c belfry -n "__fish_belfry_needs_command" -f -a "generate" -d 'Regenerate the checked-in completions/ and man/ under ROOT'
complete -c belfry -n "__fish_belfry_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l config -d 'Config file (YAML; keys are the flag names, so a dkron.yml works as it is)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l server -d 'Run as a server: store the state, take part in Raft, schedule when leading [default: false]' -r -f -a "true\t''
false\t''"
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l bootstrap-expect -d 'Servers to wait for before bootstrapping the cluster (1 = bootstrap alone) [default: 0]' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l node-name -d 'Unique name of this node (letters, digits, \'-\', \'_\' and \'.\') [default: the host name]' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l bind -l bind-addr -d 'Gossip bind address, IP or IP:port [default: 127.0.0.1:8946]' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l advertise -l advertise-addr -d 'Address advertised to other nodes [default: the bind address]' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l rpc-port -d 'Internal RPC port, on the bind IP [default: 6868]' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l data-dir -d 'Where the Raft log and the state live [default: belfry.data]' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l tag -d 'Node tag key=value (repeatable; replaces the config file\'s tags)' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l region -d 'Region: Raft membership and job targeting stay within it [default: global]' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l datacenter -d 'Datacenter, informational [default: dc1]' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l log-level -d 'Log level: trace, debug, info, warn, error [default: info]' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l log-format -d 'Log format: text (coloured only on a terminal, never with NO_COLOR) or json (one object a line) [default: text]' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l output-limit -d 'Bytes of output kept per execution, from the end [default: 65536]' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l history-limit -d 'Executions kept per job (oldest finished dropped first) [default: 100]' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l restore-limit -d 'Largest state snapshot accepted by an online restore (POST /v1/operator/restore); the body is streamed to a temporary file and refused past this size [default: 1073741824]' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l shutdown-grace -d 'On SIGTERM/SIGINT, how long running jobs may finish before they are killed [default: 30s]' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l job-nice -d 'Nice value job processes start with, so the control plane keeps its deadlines when jobs saturate the CPU; 0 to 19, 0 = the agent\'s own priority [default: 10]' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l job-cgroup -d 'Cgroup job processes run in, with a low CPU weight against the node: `auto` makes one where the host allows (cgroup v1 cpu, or v2 from the root cgroup), an absolute path names a prepared cgroup directory, `off` keeps jobs in the node\'s cgroup [default: auto]' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l max-parallel -d 'Job processes this node runs at once; accepted launches beyond wait for a slot, in order (late, never lost); 0 = no limit [default: 4 per CPU core, at least 4]' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l join -d 'Gossip address to join once at start (repeatable; a failure is only a warning)' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l retry-join -d 'Gossip address to join, retried until it works (repeatable; DNS names re-resolved)' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l retry-interval -d 'Time between --retry-join attempts [default: 30s]' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l retry-max -d 'Attempts before --retry-join gives up and the agent exits; 0 = forever [default: 0]' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l encrypt -d 'Cluster key (base64, 16/24/32 bytes; see `belfry keygen`, `belfry cluster-key`): encrypts and authenticates gossip and RPC; required except on a server bootstrapping a new one-server cluster, which generates it [default: generated by a one-server bootstrap, else required]' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l dead-server-timeout -d 'How long a failed server stays a Raft voter before it is removed [default: 5m]' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l max-clock-offset -d 'How far a server\'s wall clock may be from the voters\' median (measured continuously) before it hands leadership over and stops standing for election; under 60s [default: 500ms]' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l raft-multiplier -d 'Scales Raft\'s heartbeat (50 ms) and election timeouts (150-200 ms), 1 (fastest failover, for servers with cores to spare) to 10; 2 keeps leadership steady when jobs saturate the CPU [default: 2]' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l acl-enabled -d 'Every HTTP API request but /health needs an ACL token (see `belfry acl bootstrap`) [default: false]' -r -f -a "true\t''
false\t''"
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l audit-log -d 'Append one JSON line per mutating API request (who, what, result) to FILE (created 0600)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l metrics-addr -d 'Also serve /metrics without a token on this loopback address (for a local scraper)' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l mail-host -d 'SMTP server for the mail to a job\'s owner_email when an execution ends (with --mail-port)' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l mail-port -d 'SMTP port; mail is sent only when --mail-host and --mail-port are both set' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l mail-username -d 'SMTP user for AUTH PLAIN, with --mail-password (sent only over STARTTLS or to loopback)' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l mail-password -d 'SMTP password (prefer BELFRY_MAIL_PASSWORD or the config file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l mail-from -d 'Mail sender, `addr@host` or `Name <addr@host>`; required to send mail' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l mail-payload -d 'Mail body template (Go template syntax, see docs) [default: {{.Output}}]' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l mail-subject-prefix -d 'Subject prefix; the subject is `<prefix><Success|Failed> <job> execution report` [default: [Dkron]]' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l pre-webhook-endpoint -d 'URL the leader POSTs to when an execution starts' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l pre-webhook-payload -d 'Body template of the start webhook [default: {{.Report}}]' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l pre-webhook-headers -d 'Header `Name: value` of the start webhook (repeatable; `Host` sets the request\'s host)' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l webhook-endpoint -d 'URL the leader POSTs to when an execution ends (after its last retry)' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l webhook-payload -d 'Body template of the end webhook [default: {{.Report}}]' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l webhook-headers -d 'Header `Name: value` of the end webhook (repeatable; `Host` sets the request\'s host)' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l tls-cert -d 'PEM certificate (chain) the HTTP API serves TLS with (with --tls-key); re-read on SIGHUP and when the file changes' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l tls-key -d 'PEM private key of --tls-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l tls-client-ca -d 'PEM CA: the HTTP API then requires client certificates signed by it' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l cors-allowed-origin -d 'Browser origin (scheme://host[:port]) allowed to call the API: CORS and writes (repeatable)' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l allowed-host -d 'Host header value accepted besides the node\'s IPs, localhost and node name: `host` or `host:port` (repeatable)' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l header-read-timeout -d 'Time a connection (HTTP API and RPC) has to send a request\'s headers or finish its TLS handshake; idle keep-alive connections are closed after it too [default: 10s]' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l max-connections -d 'Open connections per listener (HTTP API, RPC) [default: 4096]' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l max-connections-per-ip -d 'Open connections per client IP per listener [default: 256]' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l allow-su -d 'Let shell jobs use `su` to run as another user (off: such runs fail) [default: false]' -r -f -a "true\t''
false\t''"
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l insecure-http -d 'Serve the HTTP API on a non-loopback address without ACLs or client certificates (protected mode refuses to start otherwise; warned at every start) [default: false]' -r -f -a "true\t''
false\t''"
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand agent" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand agent" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c belfry -n "__fish_belfry_using_subcommand agent" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and not __fish_seen_subcommand_from list show run delete executions apply toggle export import help" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and not __fish_seen_subcommand_from list show run delete executions apply toggle export import help" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and not __fish_seen_subcommand_from list show run delete executions apply toggle export import help" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and not __fish_seen_subcommand_from list show run delete executions apply toggle export import help" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and not __fish_seen_subcommand_from list show run delete executions apply toggle export import help" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and not __fish_seen_subcommand_from list show run delete executions apply toggle export import help" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and not __fish_seen_subcommand_from list show run delete executions apply toggle export import help" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and not __fish_seen_subcommand_from list show run delete executions apply toggle export import help" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and not __fish_seen_subcommand_from list show run delete executions apply toggle export import help" -f -a "list" -d 'List jobs'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and not __fish_seen_subcommand_from list show run delete executions apply toggle export import help" -f -a "show" -d 'Show a job and its recent executions'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and not __fish_seen_subcommand_from list show run delete executions apply toggle export import help" -f -a "run" -d 'Run a job now, wait for it to finish on every target node, print each node\'s result'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and not __fish_seen_subcommand_from list show run delete executions apply toggle export import help" -f -a "delete" -d 'Delete a job and its executions'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and not __fish_seen_subcommand_from list show run delete executions apply toggle export import help" -f -a "executions" -d 'List a job\'s executions, newest first; with --output ID, print that execution\'s output'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and not __fish_seen_subcommand_from list show run delete executions apply toggle export import help" -f -a "apply" -d 'Create or update jobs from a file: one job or a list, YAML or JSON. Idempotent (an unchanged job is not written); every job is checked before any is written'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and not __fish_seen_subcommand_from list show run delete executions apply toggle export import help" -f -a "toggle" -d 'Pause a job, or resume a paused one (Dkron\'s toggle: ticks while paused are not run)'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and not __fish_seen_subcommand_from list show run delete executions apply toggle export import help" -f -a "export" -d 'Write every job definition as Dkron\'s JSON array, sorted by name (diffs cleanly)'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and not __fish_seen_subcommand_from list show run delete executions apply toggle export import help" -f -a "import" -d 'Create or update jobs from a JSON array (an export, or Dkron\'s GET /v1/jobs)'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and not __fish_seen_subcommand_from list show run delete executions apply toggle export import help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from list" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from list" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from list" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from list" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from list" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from list" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from list" -l json -d 'Print JSON (Dkron\'s job array)'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from show" -l executions -d 'Executions to show, newest first' -r
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from show" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from show" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from show" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from show" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from show" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from show" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from show" -l json -d 'Print JSON: {"job": …, "executions": […]}'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from show" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from run" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from run" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from run" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from run" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from run" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from run" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from run" -l json -d 'Print JSON (the run\'s executions, one per node)'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from run" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from delete" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from delete" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from delete" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from delete" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from delete" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from delete" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from delete" -l json -d 'Print JSON (the deleted job)'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from delete" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from delete" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from executions" -l output -d 'Print the output of this execution (an id from the list) and nothing else' -r
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from executions" -l limit -d 'Executions to list' -r
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from executions" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from executions" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from executions" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from executions" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from executions" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from executions" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from executions" -l json -d 'Print JSON (the executions, or with --output the one execution)'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from executions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from executions" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from apply" -s f -l file -d 'The file (`-`: standard input)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from apply" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from apply" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from apply" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from apply" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from apply" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from apply" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from apply" -l dry-run -d 'Show what would change, field by field (`field: old → new`), and change nothing'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from apply" -l json -d 'Print JSON: every job\'s action, its changed fields, and the totals'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from apply" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from apply" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from toggle" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from toggle" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from toggle" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from toggle" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from toggle" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from toggle" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from toggle" -l json -d 'Print JSON (the job after the toggle)'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from toggle" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from toggle" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from export" -s o -l output -d 'Write to FILE (atomically) instead of stdout' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from export" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from export" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from export" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from export" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from export" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from export" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from export" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from import" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from import" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from import" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from import" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from import" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from import" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from import" -l dry-run -d 'Show what would change, change nothing'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from import" -l prune -d 'Also delete the jobs the file does not name'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from import" -l json -d 'Print JSON: every job\'s action and the totals'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from import" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from import" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from help" -f -a "list" -d 'List jobs'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from help" -f -a "show" -d 'Show a job and its recent executions'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from help" -f -a "run" -d 'Run a job now, wait for it to finish on every target node, print each node\'s result'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from help" -f -a "delete" -d 'Delete a job and its executions'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from help" -f -a "executions" -d 'List a job\'s executions, newest first; with --output ID, print that execution\'s output'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from help" -f -a "apply" -d 'Create or update jobs from a file: one job or a list, YAML or JSON. Idempotent (an unchanged job is not written); every job is checked before any is written'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from help" -f -a "toggle" -d 'Pause a job, or resume a paused one (Dkron\'s toggle: ticks while paused are not run)'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from help" -f -a "export" -d 'Write every job definition as Dkron\'s JSON array, sorted by name (diffs cleanly)'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from help" -f -a "import" -d 'Create or update jobs from a JSON array (an export, or Dkron\'s GET /v1/jobs)'
complete -c belfry -n "__fish_belfry_using_subcommand jobs; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c belfry -n "__fish_belfry_using_subcommand members" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand members" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand members" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand members" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand members" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand members" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand members" -l json -d 'Print JSON (Dkron\'s member array; servers also carry `clockOffsetMs`)'
complete -c belfry -n "__fish_belfry_using_subcommand members" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand members" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand leader" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand leader" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand leader" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand leader" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand leader" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand leader" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand leader" -l json -d 'Print JSON'
complete -c belfry -n "__fish_belfry_using_subcommand leader" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand leader" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand health" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand health" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand health" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand health" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand health" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand health" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand health" -l json -d 'Print JSON (`GET /v1/operator/health`)'
complete -c belfry -n "__fish_belfry_using_subcommand health" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c belfry -n "__fish_belfry_using_subcommand health" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand raft; and not __fish_seen_subcommand_from list-peers remove-peer transfer-leadership recover help" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand raft; and not __fish_seen_subcommand_from list-peers remove-peer transfer-leadership recover help" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand raft; and not __fish_seen_subcommand_from list-peers remove-peer transfer-leadership recover help" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand raft; and not __fish_seen_subcommand_from list-peers remove-peer transfer-leadership recover help" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand raft; and not __fish_seen_subcommand_from list-peers remove-peer transfer-leadership recover help" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand raft; and not __fish_seen_subcommand_from list-peers remove-peer transfer-leadership recover help" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand raft; and not __fish_seen_subcommand_from list-peers remove-peer transfer-leadership recover help" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand raft; and not __fish_seen_subcommand_from list-peers remove-peer transfer-leadership recover help" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand raft; and not __fish_seen_subcommand_from list-peers remove-peer transfer-leadership recover help" -f -a "list-peers" -d 'List the Raft servers: node, id, address, state, voter, replication progress'
complete -c belfry -n "__fish_belfry_using_subcommand raft; and not __fish_seen_subcommand_from list-peers remove-peer transfer-leadership recover help" -f -a "remove-peer" -d 'Remove a server from the Raft configuration (a live one only with --force)'
complete -c belfry -n "__fish_belfry_using_subcommand raft; and not __fish_seen_subcommand_from list-peers remove-peer transfer-leadership recover help" -f -a "transfer-leadership" -d 'Hand leadership to NODE, or to the most caught-up voter'
complete -c belfry -n "__fish_belfry_using_subcommand raft; and not __fish_seen_subcommand_from list-peers remove-peer transfer-leadership recover help" -f -a "recover" -d 'On a STOPPED server whose cluster lost its quorum for good: make the surviving servers the only voters (Consul\'s peers.json). See docs/operations.md before using it'
complete -c belfry -n "__fish_belfry_using_subcommand raft; and not __fish_seen_subcommand_from list-peers remove-peer transfer-leadership recover help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from list-peers" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from list-peers" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from list-peers" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from list-peers" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from list-peers" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from list-peers" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from list-peers" -l json -d 'Print JSON'
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from list-peers" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from list-peers" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from remove-peer" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from remove-peer" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from remove-peer" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from remove-peer" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from remove-peer" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from remove-peer" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from remove-peer" -l force -d 'Remove a server gossip sees alive: it is kept out for 60 s, then added back as a learner unless it stopped or became an agent (to keep it running outside Raft, use `belfry demote`)'
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from remove-peer" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from remove-peer" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from transfer-leadership" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from transfer-leadership" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from transfer-leadership" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from transfer-leadership" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from transfer-leadership" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from transfer-leadership" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from transfer-leadership" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from transfer-leadership" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from recover" -l data-dir -d 'The stopped server\'s data dir' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from recover" -l voters -d 'The surviving servers that become the voters (names or hex ids) [default: this node]' -r
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from recover" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from recover" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from recover" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from recover" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from recover" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from recover" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from recover" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from recover" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from help" -f -a "list-peers" -d 'List the Raft servers: node, id, address, state, voter, replication progress'
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from help" -f -a "remove-peer" -d 'Remove a server from the Raft configuration (a live one only with --force)'
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from help" -f -a "transfer-leadership" -d 'Hand leadership to NODE, or to the most caught-up voter'
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from help" -f -a "recover" -d 'On a STOPPED server whose cluster lost its quorum for good: make the surviving servers the only voters (Consul\'s peers.json). See docs/operations.md before using it'
complete -c belfry -n "__fish_belfry_using_subcommand raft; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c belfry -n "__fish_belfry_using_subcommand join" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand join" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand join" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand join" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand join" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand join" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand join" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand join" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand leave" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand leave" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand leave" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand leave" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand leave" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand leave" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand leave" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand leave" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand force-leave" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand force-leave" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand force-leave" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand force-leave" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand force-leave" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand force-leave" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand force-leave" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand force-leave" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand demote" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand demote" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand demote" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand demote" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand demote" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand demote" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand demote" -l force -d 'Even if the voters left alive could not form a quorum'
complete -c belfry -n "__fish_belfry_using_subcommand demote" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c belfry -n "__fish_belfry_using_subcommand demote" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand promote" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand promote" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand promote" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand promote" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand promote" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand promote" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand promote" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand promote" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand top" -l refresh -d 'Time between reads of the cluster\'s state (jobs: twice that; node load: ten times)' -r
complete -c belfry -n "__fish_belfry_using_subcommand top" -l timeout -d 'Limit on each request: a node slower than this counts as not answering' -r
complete -c belfry -n "__fish_belfry_using_subcommand top" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand top" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand top" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand top" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand top" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand top" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand top" -l read-only -d 'Watch only: no runs, toggles or demotions'
complete -c belfry -n "__fish_belfry_using_subcommand top" -l no-color -d 'No colours (also when NO_COLOR is set); the screen says everything in words too'
complete -c belfry -n "__fish_belfry_using_subcommand top" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c belfry -n "__fish_belfry_using_subcommand top" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand acl; and not __fish_seen_subcommand_from bootstrap token roles help" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand acl; and not __fish_seen_subcommand_from bootstrap token roles help" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand acl; and not __fish_seen_subcommand_from bootstrap token roles help" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand acl; and not __fish_seen_subcommand_from bootstrap token roles help" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand acl; and not __fish_seen_subcommand_from bootstrap token roles help" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand acl; and not __fish_seen_subcommand_from bootstrap token roles help" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand acl; and not __fish_seen_subcommand_from bootstrap token roles help" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand acl; and not __fish_seen_subcommand_from bootstrap token roles help" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand acl; and not __fish_seen_subcommand_from bootstrap token roles help" -f -a "bootstrap" -d 'Create the cluster\'s first management token (once per cluster, no token needed) and print its secret, which is shown only this once'
complete -c belfry -n "__fish_belfry_using_subcommand acl; and not __fish_seen_subcommand_from bootstrap token roles help" -f -a "token" -d 'Create, list and delete tokens (needs a management token)'
complete -c belfry -n "__fish_belfry_using_subcommand acl; and not __fish_seen_subcommand_from bootstrap token roles help" -f -a "roles" -d 'List the fixed roles and the permissions each holds'
complete -c belfry -n "__fish_belfry_using_subcommand acl; and not __fish_seen_subcommand_from bootstrap token roles help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from bootstrap" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from bootstrap" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from bootstrap" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from bootstrap" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from bootstrap" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from bootstrap" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from bootstrap" -l json -d 'Print JSON (accessor, secret, role, created_at)'
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from bootstrap" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from bootstrap" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from token" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from token" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from token" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from token" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from token" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from token" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from token" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from token" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from token" -f -a "create" -d 'Create a token and print its accessor and secret (the secret is shown only this once)'
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from token" -f -a "list" -d 'List tokens: accessor, role, scope, description, creation time (never secrets)'
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from token" -f -a "delete" -d 'Delete a token by its accessor id; it stops working at once'
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from token" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from roles" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from roles" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from roles" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from roles" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from roles" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from roles" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from roles" -l json -d 'Print JSON'
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from roles" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from roles" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from help" -f -a "bootstrap" -d 'Create the cluster\'s first management token (once per cluster, no token needed) and print its secret, which is shown only this once'
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from help" -f -a "token" -d 'Create, list and delete tokens (needs a management token)'
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from help" -f -a "roles" -d 'List the fixed roles and the permissions each holds'
complete -c belfry -n "__fish_belfry_using_subcommand acl; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c belfry -n "__fish_belfry_using_subcommand version" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand version" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand version" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand version" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand version" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand version" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand version" -l json -d 'Print JSON'
complete -c belfry -n "__fish_belfry_using_subcommand version" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand version" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand keygen" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand keygen" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand keygen" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand keygen" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand keygen" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand keygen" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand keygen" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand keygen" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand cluster-key" -l data-dir -d 'The data dir of the server that bootstrapped the cluster' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand cluster-key" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand cluster-key" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand cluster-key" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand cluster-key" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand cluster-key" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand cluster-key" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand cluster-key" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand cluster-key" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand tls; and not __fish_seen_subcommand_from ca cert help" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand tls; and not __fish_seen_subcommand_from ca cert help" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand tls; and not __fish_seen_subcommand_from ca cert help" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand tls; and not __fish_seen_subcommand_from ca cert help" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand tls; and not __fish_seen_subcommand_from ca cert help" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand tls; and not __fish_seen_subcommand_from ca cert help" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand tls; and not __fish_seen_subcommand_from ca cert help" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand tls; and not __fish_seen_subcommand_from ca cert help" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand tls; and not __fish_seen_subcommand_from ca cert help" -f -a "ca" -d 'Make or inspect the cluster\'s certificate authority'
complete -c belfry -n "__fish_belfry_using_subcommand tls; and not __fish_seen_subcommand_from ca cert help" -f -a "cert" -d 'Make certificates signed by the CA'
complete -c belfry -n "__fish_belfry_using_subcommand tls; and not __fish_seen_subcommand_from ca cert help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c belfry -n "__fish_belfry_using_subcommand tls; and __fish_seen_subcommand_from ca" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand tls; and __fish_seen_subcommand_from ca" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand tls; and __fish_seen_subcommand_from ca" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand tls; and __fish_seen_subcommand_from ca" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand tls; and __fish_seen_subcommand_from ca" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand tls; and __fish_seen_subcommand_from ca" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand tls; and __fish_seen_subcommand_from ca" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand tls; and __fish_seen_subcommand_from ca" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand tls; and __fish_seen_subcommand_from ca" -f -a "create" -d 'Write a new CA: belfry-agent-ca.pem and belfry-agent-ca-key.pem (key mode 0600)'
complete -c belfry -n "__fish_belfry_using_subcommand tls; and __fish_seen_subcommand_from ca" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c belfry -n "__fish_belfry_using_subcommand tls; and __fish_seen_subcommand_from cert" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand tls; and __fish_seen_subcommand_from cert" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand tls; and __fish_seen_subcommand_from cert" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand tls; and __fish_seen_subcommand_from cert" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand tls; and __fish_seen_subcommand_from cert" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand tls; and __fish_seen_subcommand_from cert" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand tls; and __fish_seen_subcommand_from cert" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand tls; and __fish_seen_subcommand_from cert" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand tls; and __fish_seen_subcommand_from cert" -f -a "create" -d 'Write a certificate and key signed by the CA: <region>-server-belfry-N.pem for --server, <region>-client-belfry-N.pem for --client (key mode 0600)'
complete -c belfry -n "__fish_belfry_using_subcommand tls; and __fish_seen_subcommand_from cert" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c belfry -n "__fish_belfry_using_subcommand tls; and __fish_seen_subcommand_from help" -f -a "ca" -d 'Make or inspect the cluster\'s certificate authority'
complete -c belfry -n "__fish_belfry_using_subcommand tls; and __fish_seen_subcommand_from help" -f -a "cert" -d 'Make certificates signed by the CA'
complete -c belfry -n "__fish_belfry_using_subcommand tls; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c belfry -n "__fish_belfry_using_subcommand config; and not __fish_seen_subcommand_from check help" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand config; and not __fish_seen_subcommand_from check help" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand config; and not __fish_seen_subcommand_from check help" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand config; and not __fish_seen_subcommand_from check help" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand config; and not __fish_seen_subcommand_from check help" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand config; and not __fish_seen_subcommand_from check help" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand config; and not __fish_seen_subcommand_from check help" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand config; and not __fish_seen_subcommand_from check help" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand config; and not __fish_seen_subcommand_from check help" -f -a "check" -d 'Validate an agent config file and print the effective settings (file, BELFRY_* environment and defaults); every bad key is named. Exit 0 if valid, 2 if not'
complete -c belfry -n "__fish_belfry_using_subcommand config; and not __fish_seen_subcommand_from check help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c belfry -n "__fish_belfry_using_subcommand config; and __fish_seen_subcommand_from check" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand config; and __fish_seen_subcommand_from check" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand config; and __fish_seen_subcommand_from check" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand config; and __fish_seen_subcommand_from check" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand config; and __fish_seen_subcommand_from check" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand config; and __fish_seen_subcommand_from check" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand config; and __fish_seen_subcommand_from check" -l json -d 'Print JSON'
complete -c belfry -n "__fish_belfry_using_subcommand config; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand config; and __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "check" -d 'Validate an agent config file and print the effective settings (file, BELFRY_* environment and defaults); every bad key is named. Exit 0 if valid, 2 if not'
complete -c belfry -n "__fish_belfry_using_subcommand config; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and not __fish_seen_subcommand_from save inspect restore help" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and not __fish_seen_subcommand_from save inspect restore help" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and not __fish_seen_subcommand_from save inspect restore help" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and not __fish_seen_subcommand_from save inspect restore help" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and not __fish_seen_subcommand_from save inspect restore help" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and not __fish_seen_subcommand_from save inspect restore help" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and not __fish_seen_subcommand_from save inspect restore help" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and not __fish_seen_subcommand_from save inspect restore help" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and not __fish_seen_subcommand_from save inspect restore help" -f -a "save" -d 'Save a consistent point-in-time archive of the cluster state (through the leader)'
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and not __fish_seen_subcommand_from save inspect restore help" -f -a "inspect" -d 'Verify an archive (checksums, every row, and the signature when given the cluster key) and show what it holds (offline)'
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and not __fish_seen_subcommand_from save inspect restore help" -f -a "restore" -d 'Replace the cluster\'s state with an archive\'s (or seed a new data dir with --data-dir)'
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and not __fish_seen_subcommand_from save inspect restore help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from save" -l output-dir -d 'Write belfry-<cluster>-<UTC timestamp>.tar.zst into DIR' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from save" -l keep -d 'With --output-dir: keep the newest N archives of this cluster, delete older ones' -r
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from save" -l data-dir -d 'Read a stopped server\'s data dir instead of a running cluster' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from save" -l encrypt -d 'Cluster key (base64, as given to the agent\'s --encrypt): signs the archive on save, verifies its signature on inspect and restore' -r
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from save" -l config -d 'The agent\'s config file: its `encrypt` key is used when --encrypt is not given' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from save" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from save" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from save" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from save" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from save" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from save" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from save" -l stale -d 'Read from the node at --http-addr without confirming it is up to date'
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from save" -s q -l quiet -d 'Print nothing on success (for cron)'
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from save" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from save" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from inspect" -l encrypt -d 'Cluster key (base64, as given to the agent\'s --encrypt): signs the archive on save, verifies its signature on inspect and restore' -r
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from inspect" -l config -d 'The agent\'s config file: its `encrypt` key is used when --encrypt is not given' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from inspect" -l max-size -d 'Refuse a member (state.snap, jobs.json) larger than this, decompressed' -r
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from inspect" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from inspect" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from inspect" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from inspect" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from inspect" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from inspect" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from inspect" -l json -d 'Print JSON'
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from inspect" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from inspect" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l data-dir -d 'Seed this (empty) data dir for a new one-server cluster instead' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l encrypt -d 'Cluster key (base64, as given to the agent\'s --encrypt): signs the archive on save, verifies its signature on inspect and restore' -r
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l config -d 'The agent\'s config file: its `encrypt` key is used when --encrypt is not given' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l max-size -d 'Refuse a member (state.snap, jobs.json) larger than this, decompressed' -r
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -s y -l yes -d 'Do not ask for confirmation'
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l force -d 'With --data-dir: replace what the data dir holds'
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -l allow-unsigned -d 'Restore an archive whose signature cannot be checked (unsigned, or no key given)'
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from restore" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "save" -d 'Save a consistent point-in-time archive of the cluster state (through the leader)'
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "inspect" -d 'Verify an archive (checksums, every row, and the signature when given the cluster key) and show what it holds (offline)'
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "restore" -d 'Replace the cluster\'s state with an archive\'s (or seed a new data dir with --data-dir)'
complete -c belfry -n "__fish_belfry_using_subcommand snapshot; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and not __fish_seen_subcommand_from check wait help" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and not __fish_seen_subcommand_from check wait help" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and not __fish_seen_subcommand_from check wait help" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and not __fish_seen_subcommand_from check wait help" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and not __fish_seen_subcommand_from check wait help" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and not __fish_seen_subcommand_from check wait help" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and not __fish_seen_subcommand_from check wait help" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and not __fish_seen_subcommand_from check wait help" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and not __fish_seen_subcommand_from check wait help" -f -a "check" -d 'Say whether the next node can be taken down now and print the plan (agents, followers, the leader last). Exit 0 safe, 1 not safe, 2 error'
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and not __fish_seen_subcommand_from check wait help" -f -a "wait" -d 'After restarting NODE on the new version: wait until it is alive and, for a server, a caught-up voter (not a learner) in a healthy cluster; progress on a terminal. Exit 1 on timeout'
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and not __fish_seen_subcommand_from check wait help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and __fish_seen_subcommand_from check" -l to -d 'The version being rolled out [default: this binary\'s]' -r
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and __fish_seen_subcommand_from check" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and __fish_seen_subcommand_from check" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and __fish_seen_subcommand_from check" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and __fish_seen_subcommand_from check" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and __fish_seen_subcommand_from check" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and __fish_seen_subcommand_from check" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and __fish_seen_subcommand_from check" -l json -d 'Print JSON'
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and __fish_seen_subcommand_from wait" -l timeout -d 'Give up after this long' -r
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and __fish_seen_subcommand_from wait" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and __fish_seen_subcommand_from wait" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and __fish_seen_subcommand_from wait" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and __fish_seen_subcommand_from wait" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and __fish_seen_subcommand_from wait" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and __fish_seen_subcommand_from wait" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and __fish_seen_subcommand_from wait" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and __fish_seen_subcommand_from wait" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and __fish_seen_subcommand_from help" -f -a "check" -d 'Say whether the next node can be taken down now and print the plan (agents, followers, the leader last). Exit 0 safe, 1 not safe, 2 error'
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and __fish_seen_subcommand_from help" -f -a "wait" -d 'After restarting NODE on the new version: wait until it is alive and, for a server, a caught-up voter (not a learner) in a healthy cluster; progress on a terminal. Exit 1 on timeout'
complete -c belfry -n "__fish_belfry_using_subcommand upgrade; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c belfry -n "__fish_belfry_using_subcommand completions" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand completions" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand completions" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand completions" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand completions" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand completions" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand completions" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand completions" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand man" -l dir -d 'Write belfry.1 and one page per subcommand here' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand man" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand man" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand man" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand man" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand man" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand man" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand man" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand man" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand generate" -l http-addr -d 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]' -r
complete -c belfry -n "__fish_belfry_using_subcommand generate" -l token -d 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)' -r
complete -c belfry -n "__fish_belfry_using_subcommand generate" -l token-file -d 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand generate" -l ca -d 'PEM file of the CA that signed the API\'s certificate (for https:// addresses)' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand generate" -l client-cert -d 'PEM client certificate, for a node started with --tls-client-ca' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand generate" -l client-key -d 'PEM private key of --client-cert' -r -F
complete -c belfry -n "__fish_belfry_using_subcommand generate" -s h -l help -d 'Print help'
complete -c belfry -n "__fish_belfry_using_subcommand generate" -s V -l version -d 'Print version'
complete -c belfry -n "__fish_belfry_using_subcommand help; and not __fish_seen_subcommand_from agent jobs members leader health raft join leave force-leave demote promote top acl version keygen cluster-key tls config snapshot upgrade completions man generate help" -f -a "agent" -d 'Run a Belfry node (a server with --server)'
complete -c belfry -n "__fish_belfry_using_subcommand help; and not __fish_seen_subcommand_from agent jobs members leader health raft join leave force-leave demote promote top acl version keygen cluster-key tls config snapshot upgrade completions man generate help" -f -a "jobs" -d 'List, show, run and delete jobs'
complete -c belfry -n "__fish_belfry_using_subcommand help; and not __fish_seen_subcommand_from agent jobs members leader health raft join leave force-leave demote promote top acl version keygen cluster-key tls config snapshot upgrade completions man generate help" -f -a "members" -d 'List the cluster\'s members as gossip sees them, with each server\'s clock offset'
complete -c belfry -n "__fish_belfry_using_subcommand help; and not __fish_seen_subcommand_from agent jobs members leader health raft join leave force-leave demote promote top acl version keygen cluster-key tls config snapshot upgrade completions man generate help" -f -a "leader" -d 'Print the current leader: its name, HTTP API address (for --http-addr) and gossip address'
complete -c belfry -n "__fish_belfry_using_subcommand help; and not __fish_seen_subcommand_from agent jobs members leader health raft join leave force-leave demote promote top acl version keygen cluster-key tls config snapshot upgrade completions man generate help" -f -a "health" -d 'Can the cluster take a failure now? Voters, quorum, failure tolerance, each server\'s contact, lag, clock offset and launch backlog, and warnings. Fit for a monitoring check: exit 0 healthy, 1 degraded (a leader, but a server down, lagging or out of contact, a clock beyond --max-clock-offset, or launches waiting for a slot), 2 no answer or no leader'
complete -c belfry -n "__fish_belfry_using_subcommand help; and not __fish_seen_subcommand_from agent jobs members leader health raft join leave force-leave demote promote top acl version keygen cluster-key tls config snapshot upgrade completions man generate help" -f -a "raft" -d 'Inspect and change the Raft configuration'
complete -c belfry -n "__fish_belfry_using_subcommand help; and not __fish_seen_subcommand_from agent jobs members leader health raft join leave force-leave demote promote top acl version keygen cluster-key tls config snapshot upgrade completions man generate help" -f -a "join" -d 'Make the node at --http-addr join the cluster through these gossip addresses'
complete -c belfry -n "__fish_belfry_using_subcommand help; and not __fish_seen_subcommand_from agent jobs members leader health raft join leave force-leave demote promote top acl version keygen cluster-key tls config snapshot upgrade completions man generate help" -f -a "leave" -d 'Make the node at --http-addr leave the cluster and stop gracefully'
complete -c belfry -n "__fish_belfry_using_subcommand help; and not __fish_seen_subcommand_from agent jobs members leader health raft join leave force-leave demote promote top acl version keygen cluster-key tls config snapshot upgrade completions man generate help" -f -a "force-leave" -d 'Remove a failed server from the Raft configuration'
complete -c belfry -n "__fish_belfry_using_subcommand help; and not __fish_seen_subcommand_from agent jobs members leader health raft join leave force-leave demote promote top acl version keygen cluster-key tls config snapshot upgrade completions man generate help" -f -a "demote" -d 'Turn a running server into an agent (survives restarts until `promote`)'
complete -c belfry -n "__fish_belfry_using_subcommand help; and not __fish_seen_subcommand_from agent jobs members leader health raft join leave force-leave demote promote top acl version keygen cluster-key tls config snapshot upgrade completions man generate help" -f -a "promote" -d 'Turn a demoted server back into a server'
complete -c belfry -n "__fish_belfry_using_subcommand help; and not __fish_seen_subcommand_from agent jobs members leader health raft join leave force-leave demote promote top acl version keygen cluster-key tls config snapshot upgrade completions man generate help" -f -a "top" -d 'Live dashboard: leader, quorum health, nodes, jobs, executions and cluster events'
complete -c belfry -n "__fish_belfry_using_subcommand help; and not __fish_seen_subcommand_from agent jobs members leader health raft join leave force-leave demote promote top acl version keygen cluster-key tls config snapshot upgrade completions man generate help" -f -a "acl" -d 'ACL tokens: bootstrap, create, list, delete; the fixed roles'
complete -c belfry -n "__fish_belfry_using_subcommand help; and not __fish_seen_subcommand_from agent jobs members leader health raft join leave force-leave demote promote top acl version keygen cluster-key tls config snapshot upgrade completions man generate help" -f -a "version" -d 'Print the version of this binary and its formats'
complete -c belfry -n "__fish_belfry_using_subcommand help; and not __fish_seen_subcommand_from agent jobs members leader health raft join leave force-leave demote promote top acl version keygen cluster-key tls config snapshot upgrade completions man generate help" -f -a "keygen" -d 'Print a new random cluster key for --encrypt'
complete -c belfry -n "__fish_belfry_using_subcommand help; and not __fish_seen_subcommand_from agent jobs members leader health raft join leave force-leave demote promote top acl version keygen cluster-key tls config snapshot upgrade completions man generate help" -f -a "cluster-key" -d 'Print the cluster key a bootstrapping server generated in its data dir, for --encrypt'
complete -c belfry -n "__fish_belfry_using_subcommand help; and not __fish_seen_subcommand_from agent jobs members leader health raft join leave force-leave demote promote top acl version keygen cluster-key tls config snapshot upgrade completions man generate help" -f -a "tls" -d 'Make a CA and certificates for the HTTP API\'s TLS'
complete -c belfry -n "__fish_belfry_using_subcommand help; and not __fish_seen_subcommand_from agent jobs members leader health raft join leave force-leave demote promote top acl version keygen cluster-key tls config snapshot upgrade completions man generate help" -f -a "config" -d 'Check configuration offline'
complete -c belfry -n "__fish_belfry_using_subcommand help; and not __fish_seen_subcommand_from agent jobs members leader health raft join leave force-leave demote promote top acl version keygen cluster-key tls config snapshot upgrade completions man generate help" -f -a "snapshot" -d 'Back up and restore the cluster\'s state (verified .tar.zst archives)'
complete -c belfry -n "__fish_belfry_using_subcommand help; and not __fish_seen_subcommand_from agent jobs members leader health raft join leave force-leave demote promote top acl version keygen cluster-key tls config snapshot upgrade completions man generate help" -f -a "upgrade" -d 'Rolling upgrades: is the next node safe to take down, and is it back?'
complete -c belfry -n "__fish_belfry_using_subcommand help; and not __fish_seen_subcommand_from agent jobs members leader health raft join leave force-leave demote promote top acl version keygen cluster-key tls config snapshot upgrade completions man generate help" -f -a "completions" -d 'Print shell completions to stdout'
complete -c belfry -n "__fish_belfry_using_subcommand help; and not __fish_seen_subcommand_from agent jobs members leader health raft join leave force-leave demote promote top acl version keygen cluster-key tls config snapshot upgrade completions man generate help" -f -a "man" -d 'Print the man page, or write every page into a directory'
complete -c belfry -n "__fish_belfry_using_subcommand help; and not __fish_seen_subcommand_from agent jobs members leader health raft join leave force-leave demote promote top acl version keygen cluster-key tls config snapshot upgrade completions man generate help" -f -a "generate" -d 'Regenerate the checked-in completions/ and man/ under ROOT'
complete -c belfry -n "__fish_belfry_using_subcommand help; and not __fish_seen_subcommand_from agent jobs members leader health raft join leave force-leave demote promote top acl version keygen cluster-key tls config snapshot upgrade completions man generate help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c belfry -n "__fish_belfry_using_subcommand help; and __fish_seen_subcommand_from jobs" -f -a "list" -d 'List jobs'
complete -c belfry -n "__fish_belfry_using_subcommand help; and __fish_seen_subcommand_from jobs" -f -a "show" -d 'Show a job and its recent executions'
complete -c belfry -n "__fish_belfry_using_subcommand help; and __fish_seen_subcommand_from jobs" -f -a "run" -d 'Run a job now, wait for it to finish on every target node, print each node\'s result'
complete -c belfry -n "__fish_belfry_using_subcommand help; and __fish_seen_subcommand_from jobs" -f -a "delete" -d 'Delete a job and its executions'
complete -c belfry -n "__fish_belfry_using_subcommand help; and __fish_seen_subcommand_from jobs" -f -a "executions" -d 'List a job\'s executions, newest first; with --output ID, print that execution\'s output'
complete -c belfry -n "__fish_belfry_using_subcommand help; and __fish_seen_subcommand_from jobs" -f -a "apply" -d 'Create or update jobs from a file: one job or a list, YAML or JSON. Idempotent (an unchanged job is not written); every job is checked before any is written'
complete -c belfry -n "__fish_belfry_using_subcommand help; and __fish_seen_subcommand_from jobs" -f -a "toggle" -d 'Pause a job, or resume a paused one (Dkron\'s toggle: ticks while paused are not run)'
complete -c belfry -n "__fish_belfry_using_subcommand help; and __fish_seen_subcommand_from jobs" -f -a "export" -d 'Write every job definition as Dkron\'s JSON array, sorted by name (diffs cleanly)'
complete -c belfry -n "__fish_belfry_using_subcommand help; and __fish_seen_subcommand_from jobs" -f -a "import" -d 'Create or update jobs from a JSON array (an export, or Dkron\'s GET /v1/jobs)'
complete -c belfry -n "__fish_belfry_using_subcommand help; and __fish_seen_subcommand_from raft" -f -a "list-peers" -d 'List the Raft servers: node, id, address, state, voter, replication progress'
complete -c belfry -n "__fish_belfry_using_subcommand help; and __fish_seen_subcommand_from raft" -f -a "remove-peer" -d 'Remove a server from the Raft configuration (a live one only with --force)'
complete -c belfry -n "__fish_belfry_using_subcommand help; and __fish_seen_subcommand_from raft" -f -a "transfer-leadership" -d 'Hand leadership to NODE, or to the most caught-up voter'
complete -c belfry -n "__fish_belfry_using_subcommand help; and __fish_seen_subcommand_from raft" -f -a "recover" -d 'On a STOPPED server whose cluster lost its quorum for good: make the surviving servers the only voters (Consul\'s peers.json). See docs/operations.md before using it'
complete -c belfry -n "__fish_belfry_using_subcommand help; and __fish_seen_subcommand_from acl" -f -a "bootstrap" -d 'Create the cluster\'s first management token (once per cluster, no token needed) and print its secret, which is shown only this once'
complete -c belfry -n "__fish_belfry_using_subcommand help; and __fish_seen_subcommand_from acl" -f -a "token" -d 'Create, list and delete tokens (needs a management token)'
complete -c belfry -n "__fish_belfry_using_subcommand help; and __fish_seen_subcommand_from acl" -f -a "roles" -d 'List the fixed roles and the permissions each holds'
complete -c belfry -n "__fish_belfry_using_subcommand help; and __fish_seen_subcommand_from tls" -f -a "ca" -d 'Make or inspect the cluster\'s certificate authority'
complete -c belfry -n "__fish_belfry_using_subcommand help; and __fish_seen_subcommand_from tls" -f -a "cert" -d 'Make certificates signed by the CA'
complete -c belfry -n "__fish_belfry_using_subcommand help; and __fish_seen_subcommand_from config" -f -a "check" -d 'Validate an agent config file and print the effective settings (file, BELFRY_* environment and defaults); every bad key is named. Exit 0 if valid, 2 if not'
complete -c belfry -n "__fish_belfry_using_subcommand help; and __fish_seen_subcommand_from snapshot" -f -a "save" -d 'Save a consistent point-in-time archive of the cluster state (through the leader)'
complete -c belfry -n "__fish_belfry_using_subcommand help; and __fish_seen_subcommand_from snapshot" -f -a "inspect" -d 'Verify an archive (checksums, every row, and the signature when given the cluster key) and show what it holds (offline)'
complete -c belfry -n "__fish_belfry_using_subcommand help; and __fish_seen_subcommand_from snapshot" -f -a "restore" -d 'Replace the cluster\'s state with an archive\'s (or seed a new data dir with --data-dir)'
complete -c belfry -n "__fish_belfry_using_subcommand help; and __fish_seen_subcommand_from upgrade" -f -a "check" -d 'Say whether the next node can be taken down now and print the plan (agents, followers, the leader last). Exit 0 safe, 1 not safe, 2 error'
complete -c belfry -n "__fish_belfry_using_subcommand help; and __fish_seen_subcommand_from upgrade" -f -a "wait" -d 'After restarting NODE on the new version: wait until it is alive and, for a server, a caught-up voter (not a learner) in a healthy cluster; progress on a terminal. Exit 1 on timeout'

# Job and node names from the running cluster where an argument is one: `belfry __complete after`
# parses the words before the cursor with the same options (--http-addr, --token, --ca, …) and
# answers within a second (nothing when no node answers); it fails where the word is not a job
# or node name, and the completions above apply.
function __fish_belfry_cluster_names
    set -l words (commandline -opc)
    set -l prog $words[1]
    set -e words[1]
    set -l names ($prog __complete after -- $words 2>/dev/null)
    or return 1
    set -g __fish_belfry_names $names
end
complete -c belfry -f -n "__fish_belfry_cluster_names" -a '$__fish_belfry_names'
