
use builtin;
use str;

set edit:completion:arg-completer[belfry] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'belfry'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'belfry'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand agent 'Run a Belfry node (a server with --server)'
            cand jobs 'List, show, run and delete jobs'
            cand members 'List the cluster''s members as gossip sees them, with each server''s clock offset'
            cand leader 'Print the current leader: its name, HTTP API address (for --http-addr) and gossip address'
            cand health 'Can the cluster take a failure now? Voters, quorum, failure tolerance, each server''s contact, lag, clock offset and launch backlog, and warnings. Fit for a monitoring check: exit 0 healthy, 1 degraded (a leader, but a server down, lagging or out of contact, a clock beyond --max-clock-offset, or launches waiting for a slot), 2 no answer or no leader'
            cand raft 'Inspect and change the Raft configuration'
            cand join 'Make the node at --http-addr join the cluster through these gossip addresses'
            cand leave 'Make the node at --http-addr leave the cluster and stop gracefully'
            cand force-leave 'Remove a failed server from the Raft configuration'
            cand demote 'Turn a running server into an agent (survives restarts until `promote`)'
            cand promote 'Turn a demoted server back into a server'
            cand top 'Live dashboard: leader, quorum health, nodes, jobs, executions and cluster events'
            cand acl 'ACL tokens: bootstrap, create, list, delete; the fixed roles'
            cand version 'Print the version of this binary and its formats'
            cand keygen 'Print a new random cluster key for --encrypt'
            cand cluster-key 'Print the cluster key a bootstrapping server generated in its data dir, for --encrypt'
            cand tls 'Make a CA and certificates for the HTTP API''s TLS'
            cand config 'Check configuration offline'
            cand snapshot 'Back up and restore the cluster''s state (verified .tar.zst archives)'
            cand upgrade 'Rolling upgrades: is the next node safe to take down, and is it back?'
            cand completions 'Print shell completions to stdout'
            cand man 'Print the man page, or write every page into a directory'
            cand generate 'Regenerate the checked-in completions/ and man/ under ROOT'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'belfry;agent'= {
            cand --config 'Config file (YAML; keys are the flag names, so a dkron.yml works as it is)'
            cand --server 'Run as a server: store the state, take part in Raft, schedule when leading [default: false]'
            cand --bootstrap-expect 'Servers to wait for before bootstrapping the cluster (1 = bootstrap alone) [default: 0]'
            cand --node-name 'Unique name of this node (letters, digits, ''-'', ''_'' and ''.'') [default: the host name]'
            cand --bind 'Gossip bind address, IP or IP:port [default: 127.0.0.1:8946]'
            cand --bind-addr 'Gossip bind address, IP or IP:port [default: 127.0.0.1:8946]'
            cand --advertise 'Address advertised to other nodes [default: the bind address]'
            cand --advertise-addr 'Address advertised to other nodes [default: the bind address]'
            cand --rpc-port 'Internal RPC port, on the bind IP [default: 6868]'
            cand --data-dir 'Where the Raft log and the state live [default: belfry.data]'
            cand --tag 'Node tag key=value (repeatable; replaces the config file''s tags)'
            cand --region 'Region: Raft membership and job targeting stay within it [default: global]'
            cand --datacenter 'Datacenter, informational [default: dc1]'
            cand --log-level 'Log level: trace, debug, info, warn, error [default: info]'
            cand --log-format 'Log format: text (coloured only on a terminal, never with NO_COLOR) or json (one object a line) [default: text]'
            cand --output-limit 'Bytes of output kept per execution, from the end [default: 65536]'
            cand --history-limit 'Executions kept per job (oldest finished dropped first) [default: 100]'
            cand --restore-limit 'Largest state snapshot accepted by an online restore (POST /v1/operator/restore); the body is streamed to a temporary file and refused past this size [default: 1073741824]'
            cand --shutdown-grace 'On SIGTERM/SIGINT, how long running jobs may finish before they are killed [default: 30s]'
            cand --job-nice 'Nice value job processes start with, so the control plane keeps its deadlines when jobs saturate the CPU; 0 to 19, 0 = the agent''s own priority [default: 10]'
            cand --job-cgroup 'Cgroup job processes run in, with a low CPU weight against the node: `auto` makes one where the host allows (cgroup v1 cpu, or v2 from the root cgroup), an absolute path names a prepared cgroup directory, `off` keeps jobs in the node''s cgroup [default: auto]'
            cand --max-parallel 'Job processes this node runs at once; accepted launches beyond wait for a slot, in order (late, never lost); 0 = no limit [default: 4 per CPU core, at least 4]'
            cand --join 'Gossip address to join once at start (repeatable; a failure is only a warning)'
            cand --retry-join 'Gossip address to join, retried until it works (repeatable; DNS names re-resolved)'
            cand --retry-interval 'Time between --retry-join attempts [default: 30s]'
            cand --retry-max 'Attempts before --retry-join gives up and the agent exits; 0 = forever [default: 0]'
            cand --encrypt 'Cluster key (base64, 16/24/32 bytes; see `belfry keygen`, `belfry cluster-key`): encrypts and authenticates gossip and RPC; required except on a server bootstrapping a new one-server cluster, which generates it [default: generated by a one-server bootstrap, else required]'
            cand --dead-server-timeout 'How long a failed server stays a Raft voter before it is removed [default: 5m]'
            cand --max-clock-offset 'How far a server''s wall clock may be from the voters'' median (measured continuously) before it hands leadership over and stops standing for election; under 60s [default: 500ms]'
            cand --raft-multiplier 'Scales Raft''s heartbeat (50 ms) and election timeouts (150-200 ms), 1 (fastest failover, for servers with cores to spare) to 10; 2 keeps leadership steady when jobs saturate the CPU [default: 2]'
            cand --acl-enabled 'Every HTTP API request but /health needs an ACL token (see `belfry acl bootstrap`) [default: false]'
            cand --audit-log 'Append one JSON line per mutating API request (who, what, result) to FILE (created 0600)'
            cand --metrics-addr 'Also serve /metrics without a token on this loopback address (for a local scraper)'
            cand --mail-host 'SMTP server for the mail to a job''s owner_email when an execution ends (with --mail-port)'
            cand --mail-port 'SMTP port; mail is sent only when --mail-host and --mail-port are both set'
            cand --mail-username 'SMTP user for AUTH PLAIN, with --mail-password (sent only over STARTTLS or to loopback)'
            cand --mail-password 'SMTP password (prefer BELFRY_MAIL_PASSWORD or the config file: flags show in ps)'
            cand --mail-from 'Mail sender, `addr@host` or `Name <addr@host>`; required to send mail'
            cand --mail-payload 'Mail body template (Go template syntax, see docs) [default: {{.Output}}]'
            cand --mail-subject-prefix 'Subject prefix; the subject is `<prefix><Success|Failed> <job> execution report` [default: [Dkron]]'
            cand --pre-webhook-endpoint 'URL the leader POSTs to when an execution starts'
            cand --pre-webhook-payload 'Body template of the start webhook [default: {{.Report}}]'
            cand --pre-webhook-headers 'Header `Name: value` of the start webhook (repeatable; `Host` sets the request''s host)'
            cand --webhook-endpoint 'URL the leader POSTs to when an execution ends (after its last retry)'
            cand --webhook-payload 'Body template of the end webhook [default: {{.Report}}]'
            cand --webhook-headers 'Header `Name: value` of the end webhook (repeatable; `Host` sets the request''s host)'
            cand --tls-cert 'PEM certificate (chain) the HTTP API serves TLS with (with --tls-key); re-read on SIGHUP and when the file changes'
            cand --tls-key 'PEM private key of --tls-cert'
            cand --tls-client-ca 'PEM CA: the HTTP API then requires client certificates signed by it'
            cand --cors-allowed-origin 'Browser origin (scheme://host[:port]) allowed to call the API: CORS and writes (repeatable)'
            cand --allowed-host 'Host header value accepted besides the node''s IPs, localhost and node name: `host` or `host:port` (repeatable)'
            cand --header-read-timeout 'Time a connection (HTTP API and RPC) has to send a request''s headers or finish its TLS handshake; idle keep-alive connections are closed after it too [default: 10s]'
            cand --max-connections 'Open connections per listener (HTTP API, RPC) [default: 4096]'
            cand --max-connections-per-ip 'Open connections per client IP per listener [default: 256]'
            cand --allow-su 'Let shell jobs use `su` to run as another user (off: such runs fail) [default: false]'
            cand --insecure-http 'Serve the HTTP API on a non-loopback address without ACLs or client certificates (protected mode refuses to start otherwise; warned at every start) [default: false]'
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;jobs'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list 'List jobs'
            cand show 'Show a job and its recent executions'
            cand run 'Run a job now, wait for it to finish on every target node, print each node''s result'
            cand delete 'Delete a job and its executions'
            cand executions 'List a job''s executions, newest first; with --output ID, print that execution''s output'
            cand apply 'Create or update jobs from a file: one job or a list, YAML or JSON. Idempotent (an unchanged job is not written); every job is checked before any is written'
            cand toggle 'Pause a job, or resume a paused one (Dkron''s toggle: ticks while paused are not run)'
            cand export 'Write every job definition as Dkron''s JSON array, sorted by name (diffs cleanly)'
            cand import 'Create or update jobs from a JSON array (an export, or Dkron''s GET /v1/jobs)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'belfry;jobs;list'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand --json 'Print JSON (Dkron''s job array)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;jobs;show'= {
            cand --executions 'Executions to show, newest first'
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand --json 'Print JSON: {"job": …, "executions": […]}'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;jobs;run'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand --json 'Print JSON (the run''s executions, one per node)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;jobs;delete'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand --json 'Print JSON (the deleted job)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;jobs;executions'= {
            cand --output 'Print the output of this execution (an id from the list) and nothing else'
            cand --limit 'Executions to list'
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand --json 'Print JSON (the executions, or with --output the one execution)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;jobs;apply'= {
            cand -f 'The file (`-`: standard input)'
            cand --file 'The file (`-`: standard input)'
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand --dry-run 'Show what would change, field by field (`field: old → new`), and change nothing'
            cand --json 'Print JSON: every job''s action, its changed fields, and the totals'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;jobs;toggle'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand --json 'Print JSON (the job after the toggle)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;jobs;export'= {
            cand -o 'Write to FILE (atomically) instead of stdout'
            cand --output 'Write to FILE (atomically) instead of stdout'
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;jobs;import'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand --dry-run 'Show what would change, change nothing'
            cand --prune 'Also delete the jobs the file does not name'
            cand --json 'Print JSON: every job''s action and the totals'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;jobs;help'= {
            cand list 'List jobs'
            cand show 'Show a job and its recent executions'
            cand run 'Run a job now, wait for it to finish on every target node, print each node''s result'
            cand delete 'Delete a job and its executions'
            cand executions 'List a job''s executions, newest first; with --output ID, print that execution''s output'
            cand apply 'Create or update jobs from a file: one job or a list, YAML or JSON. Idempotent (an unchanged job is not written); every job is checked before any is written'
            cand toggle 'Pause a job, or resume a paused one (Dkron''s toggle: ticks while paused are not run)'
            cand export 'Write every job definition as Dkron''s JSON array, sorted by name (diffs cleanly)'
            cand import 'Create or update jobs from a JSON array (an export, or Dkron''s GET /v1/jobs)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'belfry;jobs;help;list'= {
        }
        &'belfry;jobs;help;show'= {
        }
        &'belfry;jobs;help;run'= {
        }
        &'belfry;jobs;help;delete'= {
        }
        &'belfry;jobs;help;executions'= {
        }
        &'belfry;jobs;help;apply'= {
        }
        &'belfry;jobs;help;toggle'= {
        }
        &'belfry;jobs;help;export'= {
        }
        &'belfry;jobs;help;import'= {
        }
        &'belfry;jobs;help;help'= {
        }
        &'belfry;members'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand --json 'Print JSON (Dkron''s member array; servers also carry `clockOffsetMs`)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;leader'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand --json 'Print JSON'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;health'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand --json 'Print JSON (`GET /v1/operator/health`)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;raft'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand list-peers 'List the Raft servers: node, id, address, state, voter, replication progress'
            cand remove-peer 'Remove a server from the Raft configuration (a live one only with --force)'
            cand transfer-leadership 'Hand leadership to NODE, or to the most caught-up voter'
            cand recover 'On a STOPPED server whose cluster lost its quorum for good: make the surviving servers the only voters (Consul''s peers.json). See docs/operations.md before using it'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'belfry;raft;list-peers'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand --json 'Print JSON'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;raft;remove-peer'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand --force 'Remove a server gossip sees alive: it is kept out for 60 s, then added back as a learner unless it stopped or became an agent (to keep it running outside Raft, use `belfry demote`)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;raft;transfer-leadership'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;raft;recover'= {
            cand --data-dir 'The stopped server''s data dir'
            cand --voters 'The surviving servers that become the voters (names or hex ids) [default: this node]'
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;raft;help'= {
            cand list-peers 'List the Raft servers: node, id, address, state, voter, replication progress'
            cand remove-peer 'Remove a server from the Raft configuration (a live one only with --force)'
            cand transfer-leadership 'Hand leadership to NODE, or to the most caught-up voter'
            cand recover 'On a STOPPED server whose cluster lost its quorum for good: make the surviving servers the only voters (Consul''s peers.json). See docs/operations.md before using it'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'belfry;raft;help;list-peers'= {
        }
        &'belfry;raft;help;remove-peer'= {
        }
        &'belfry;raft;help;transfer-leadership'= {
        }
        &'belfry;raft;help;recover'= {
        }
        &'belfry;raft;help;help'= {
        }
        &'belfry;join'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;leave'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;force-leave'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;demote'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand --force 'Even if the voters left alive could not form a quorum'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;promote'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;top'= {
            cand --refresh 'Time between reads of the cluster''s state (jobs: twice that; node load: ten times)'
            cand --timeout 'Limit on each request: a node slower than this counts as not answering'
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand --read-only 'Watch only: no runs, toggles or demotions'
            cand --no-color 'No colours (also when NO_COLOR is set); the screen says everything in words too'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;acl'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand bootstrap 'Create the cluster''s first management token (once per cluster, no token needed) and print its secret, which is shown only this once'
            cand token 'Create, list and delete tokens (needs a management token)'
            cand roles 'List the fixed roles and the permissions each holds'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'belfry;acl;bootstrap'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand --json 'Print JSON (accessor, secret, role, created_at)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;acl;token'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand create 'Create a token and print its accessor and secret (the secret is shown only this once)'
            cand list 'List tokens: accessor, role, scope, description, creation time (never secrets)'
            cand delete 'Delete a token by its accessor id; it stops working at once'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'belfry;acl;token;create'= {
            cand --role 'management, operator, job-writer or read-only (see `belfry acl roles`)'
            cand --prefix 'job-writer only: job names it may write start with PREFIX (repeatable)'
            cand --selector 'job-writer only: jobs it may write carry this metadata (repeatable, all must match)'
            cand --description 'What the token is for'
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand --json 'Print JSON (includes the secret)'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;acl;token;list'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand --json 'Print JSON'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;acl;token;delete'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand --json 'Print JSON'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;acl;token;help'= {
            cand create 'Create a token and print its accessor and secret (the secret is shown only this once)'
            cand list 'List tokens: accessor, role, scope, description, creation time (never secrets)'
            cand delete 'Delete a token by its accessor id; it stops working at once'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'belfry;acl;token;help;create'= {
        }
        &'belfry;acl;token;help;list'= {
        }
        &'belfry;acl;token;help;delete'= {
        }
        &'belfry;acl;token;help;help'= {
        }
        &'belfry;acl;roles'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand --json 'Print JSON'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;acl;help'= {
            cand bootstrap 'Create the cluster''s first management token (once per cluster, no token needed) and print its secret, which is shown only this once'
            cand token 'Create, list and delete tokens (needs a management token)'
            cand roles 'List the fixed roles and the permissions each holds'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'belfry;acl;help;bootstrap'= {
        }
        &'belfry;acl;help;token'= {
            cand create 'Create a token and print its accessor and secret (the secret is shown only this once)'
            cand list 'List tokens: accessor, role, scope, description, creation time (never secrets)'
            cand delete 'Delete a token by its accessor id; it stops working at once'
        }
        &'belfry;acl;help;token;create'= {
        }
        &'belfry;acl;help;token;list'= {
        }
        &'belfry;acl;help;token;delete'= {
        }
        &'belfry;acl;help;roles'= {
        }
        &'belfry;acl;help;help'= {
        }
        &'belfry;version'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand --json 'Print JSON'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;keygen'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;cluster-key'= {
            cand --data-dir 'The data dir of the server that bootstrapped the cluster'
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;tls'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand ca 'Make or inspect the cluster''s certificate authority'
            cand cert 'Make certificates signed by the CA'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'belfry;tls;ca'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand create 'Write a new CA: belfry-agent-ca.pem and belfry-agent-ca-key.pem (key mode 0600)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'belfry;tls;ca;create'= {
            cand --out-dir 'Directory to write into'
            cand --days 'Validity in days'
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand --force 'Replace files that exist'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;tls;ca;help'= {
            cand create 'Write a new CA: belfry-agent-ca.pem and belfry-agent-ca-key.pem (key mode 0600)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'belfry;tls;ca;help;create'= {
        }
        &'belfry;tls;ca;help;help'= {
        }
        &'belfry;tls;cert'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand create 'Write a certificate and key signed by the CA: <region>-server-belfry-N.pem for --server, <region>-client-belfry-N.pem for --client (key mode 0600)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'belfry;tls;cert;create'= {
            cand --ca 'The CA certificate'
            cand --ca-key 'The CA''s key'
            cand --name 'File name prefix and common name [default: <region>-server-belfry or <region>-client-belfry]'
            cand --region 'Region in the default name [default: global]'
            cand --ip 'Extra IP address the server certificate is valid for (repeatable)'
            cand --dns 'Extra DNS name the server certificate is valid for (repeatable)'
            cand --out-dir 'Directory to write into'
            cand --days 'Validity in days'
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand --server 'A server certificate (for --tls-cert); names: localhost, 127.0.0.1, ::1, --dns, --ip'
            cand --client 'A client certificate (for --client-cert against --tls-client-ca)'
            cand --force 'Replace files that exist'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;tls;cert;help'= {
            cand create 'Write a certificate and key signed by the CA: <region>-server-belfry-N.pem for --server, <region>-client-belfry-N.pem for --client (key mode 0600)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'belfry;tls;cert;help;create'= {
        }
        &'belfry;tls;cert;help;help'= {
        }
        &'belfry;tls;help'= {
            cand ca 'Make or inspect the cluster''s certificate authority'
            cand cert 'Make certificates signed by the CA'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'belfry;tls;help;ca'= {
            cand create 'Write a new CA: belfry-agent-ca.pem and belfry-agent-ca-key.pem (key mode 0600)'
        }
        &'belfry;tls;help;ca;create'= {
        }
        &'belfry;tls;help;cert'= {
            cand create 'Write a certificate and key signed by the CA: <region>-server-belfry-N.pem for --server, <region>-client-belfry-N.pem for --client (key mode 0600)'
        }
        &'belfry;tls;help;cert;create'= {
        }
        &'belfry;tls;help;help'= {
        }
        &'belfry;config'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand check 'Validate an agent config file and print the effective settings (file, BELFRY_* environment and defaults); every bad key is named. Exit 0 if valid, 2 if not'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'belfry;config;check'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand --json 'Print JSON'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;config;help'= {
            cand check 'Validate an agent config file and print the effective settings (file, BELFRY_* environment and defaults); every bad key is named. Exit 0 if valid, 2 if not'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'belfry;config;help;check'= {
        }
        &'belfry;config;help;help'= {
        }
        &'belfry;snapshot'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand save 'Save a consistent point-in-time archive of the cluster state (through the leader)'
            cand inspect 'Verify an archive (checksums, every row, and the signature when given the cluster key) and show what it holds (offline)'
            cand restore 'Replace the cluster''s state with an archive''s (or seed a new data dir with --data-dir)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'belfry;snapshot;save'= {
            cand --output-dir 'Write belfry-<cluster>-<UTC timestamp>.tar.zst into DIR'
            cand --keep 'With --output-dir: keep the newest N archives of this cluster, delete older ones'
            cand --data-dir 'Read a stopped server''s data dir instead of a running cluster'
            cand --encrypt 'Cluster key (base64, as given to the agent''s --encrypt): signs the archive on save, verifies its signature on inspect and restore'
            cand --config 'The agent''s config file: its `encrypt` key is used when --encrypt is not given'
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand --stale 'Read from the node at --http-addr without confirming it is up to date'
            cand -q 'Print nothing on success (for cron)'
            cand --quiet 'Print nothing on success (for cron)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;snapshot;inspect'= {
            cand --encrypt 'Cluster key (base64, as given to the agent''s --encrypt): signs the archive on save, verifies its signature on inspect and restore'
            cand --config 'The agent''s config file: its `encrypt` key is used when --encrypt is not given'
            cand --max-size 'Refuse a member (state.snap, jobs.json) larger than this, decompressed'
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand --json 'Print JSON'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;snapshot;restore'= {
            cand --data-dir 'Seed this (empty) data dir for a new one-server cluster instead'
            cand --encrypt 'Cluster key (base64, as given to the agent''s --encrypt): signs the archive on save, verifies its signature on inspect and restore'
            cand --config 'The agent''s config file: its `encrypt` key is used when --encrypt is not given'
            cand --max-size 'Refuse a member (state.snap, jobs.json) larger than this, decompressed'
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand -y 'Do not ask for confirmation'
            cand --yes 'Do not ask for confirmation'
            cand --force 'With --data-dir: replace what the data dir holds'
            cand --allow-unsigned 'Restore an archive whose signature cannot be checked (unsigned, or no key given)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;snapshot;help'= {
            cand save 'Save a consistent point-in-time archive of the cluster state (through the leader)'
            cand inspect 'Verify an archive (checksums, every row, and the signature when given the cluster key) and show what it holds (offline)'
            cand restore 'Replace the cluster''s state with an archive''s (or seed a new data dir with --data-dir)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'belfry;snapshot;help;save'= {
        }
        &'belfry;snapshot;help;inspect'= {
        }
        &'belfry;snapshot;help;restore'= {
        }
        &'belfry;snapshot;help;help'= {
        }
        &'belfry;upgrade'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand check 'Say whether the next node can be taken down now and print the plan (agents, followers, the leader last). Exit 0 safe, 1 not safe, 2 error'
            cand wait 'After restarting NODE on the new version: wait until it is alive and, for a server, a caught-up voter (not a learner) in a healthy cluster; progress on a terminal. Exit 1 on timeout'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'belfry;upgrade;check'= {
            cand --to 'The version being rolled out [default: this binary''s]'
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand --json 'Print JSON'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;upgrade;wait'= {
            cand --timeout 'Give up after this long'
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;upgrade;help'= {
            cand check 'Say whether the next node can be taken down now and print the plan (agents, followers, the leader last). Exit 0 safe, 1 not safe, 2 error'
            cand wait 'After restarting NODE on the new version: wait until it is alive and, for a server, a caught-up voter (not a learner) in a healthy cluster; progress on a terminal. Exit 1 on timeout'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'belfry;upgrade;help;check'= {
        }
        &'belfry;upgrade;help;wait'= {
        }
        &'belfry;upgrade;help;help'= {
        }
        &'belfry;completions'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;man'= {
            cand --dir 'Write belfry.1 and one page per subcommand here'
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;generate'= {
            cand --http-addr 'HTTP API address: where `agent` listens and where the other commands connect [default: 127.0.0.1:8080]'
            cand --token 'ACL token secret for the HTTP API (prefer BELFRY_TOKEN or --token-file: flags show in ps)'
            cand --token-file 'File whose first line is the ACL token secret (wins over --token and BELFRY_TOKEN)'
            cand --ca 'PEM file of the CA that signed the API''s certificate (for https:// addresses)'
            cand --client-cert 'PEM client certificate, for a node started with --tls-client-ca'
            cand --client-key 'PEM private key of --client-cert'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'belfry;help'= {
            cand agent 'Run a Belfry node (a server with --server)'
            cand jobs 'List, show, run and delete jobs'
            cand members 'List the cluster''s members as gossip sees them, with each server''s clock offset'
            cand leader 'Print the current leader: its name, HTTP API address (for --http-addr) and gossip address'
            cand health 'Can the cluster take a failure now? Voters, quorum, failure tolerance, each server''s contact, lag, clock offset and launch backlog, and warnings. Fit for a monitoring check: exit 0 healthy, 1 degraded (a leader, but a server down, lagging or out of contact, a clock beyond --max-clock-offset, or launches waiting for a slot), 2 no answer or no leader'
            cand raft 'Inspect and change the Raft configuration'
            cand join 'Make the node at --http-addr join the cluster through these gossip addresses'
            cand leave 'Make the node at --http-addr leave the cluster and stop gracefully'
            cand force-leave 'Remove a failed server from the Raft configuration'
            cand demote 'Turn a running server into an agent (survives restarts until `promote`)'
            cand promote 'Turn a demoted server back into a server'
            cand top 'Live dashboard: leader, quorum health, nodes, jobs, executions and cluster events'
            cand acl 'ACL tokens: bootstrap, create, list, delete; the fixed roles'
            cand version 'Print the version of this binary and its formats'
            cand keygen 'Print a new random cluster key for --encrypt'
            cand cluster-key 'Print the cluster key a bootstrapping server generated in its data dir, for --encrypt'
            cand tls 'Make a CA and certificates for the HTTP API''s TLS'
            cand config 'Check configuration offline'
            cand snapshot 'Back up and restore the cluster''s state (verified .tar.zst archives)'
            cand upgrade 'Rolling upgrades: is the next node safe to take down, and is it back?'
            cand completions 'Print shell completions to stdout'
            cand man 'Print the man page, or write every page into a directory'
            cand generate 'Regenerate the checked-in completions/ and man/ under ROOT'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'belfry;help;agent'= {
        }
        &'belfry;help;jobs'= {
            cand list 'List jobs'
            cand show 'Show a job and its recent executions'
            cand run 'Run a job now, wait for it to finish on every target node, print each node''s result'
            cand delete 'Delete a job and its executions'
            cand executions 'List a job''s executions, newest first; with --output ID, print that execution''s output'
            cand apply 'Create or update jobs from a file: one job or a list, YAML or JSON. Idempotent (an unchanged job is not written); every job is checked before any is written'
            cand toggle 'Pause a job, or resume a paused one (Dkron''s toggle: ticks while paused are not run)'
            cand export 'Write every job definition as Dkron''s JSON array, sorted by name (diffs cleanly)'
            cand import 'Create or update jobs from a JSON array (an export, or Dkron''s GET /v1/jobs)'
        }
        &'belfry;help;jobs;list'= {
        }
        &'belfry;help;jobs;show'= {
        }
        &'belfry;help;jobs;run'= {
        }
        &'belfry;help;jobs;delete'= {
        }
        &'belfry;help;jobs;executions'= {
        }
        &'belfry;help;jobs;apply'= {
        }
        &'belfry;help;jobs;toggle'= {
        }
        &'belfry;help;jobs;export'= {
        }
        &'belfry;help;jobs;import'= {
        }
        &'belfry;help;members'= {
        }
        &'belfry;help;leader'= {
        }
        &'belfry;help;health'= {
        }
        &'belfry;help;raft'= {
            cand list-peers 'List the Raft servers: node, id, address, state, voter, replication progress'
            cand remove-peer 'Remove a server from the Raft configuration (a live one only with --force)'
            cand transfer-leadership 'Hand leadership to NODE, or to the most caught-up voter'
            cand recover 'On a STOPPED server whose cluster lost its quorum for good: make the surviving servers the only voters (Consul''s peers.json). See docs/operations.md before using it'
        }
        &'belfry;help;raft;list-peers'= {
        }
        &'belfry;help;raft;remove-peer'= {
        }
        &'belfry;help;raft;transfer-leadership'= {
        }
        &'belfry;help;raft;recover'= {
        }
        &'belfry;help;join'= {
        }
        &'belfry;help;leave'= {
        }
        &'belfry;help;force-leave'= {
        }
        &'belfry;help;demote'= {
        }
        &'belfry;help;promote'= {
        }
        &'belfry;help;top'= {
        }
        &'belfry;help;acl'= {
            cand bootstrap 'Create the cluster''s first management token (once per cluster, no token needed) and print its secret, which is shown only this once'
            cand token 'Create, list and delete tokens (needs a management token)'
            cand roles 'List the fixed roles and the permissions each holds'
        }
        &'belfry;help;acl;bootstrap'= {
        }
        &'belfry;help;acl;token'= {
            cand create 'Create a token and print its accessor and secret (the secret is shown only this once)'
            cand list 'List tokens: accessor, role, scope, description, creation time (never secrets)'
            cand delete 'Delete a token by its accessor id; it stops working at once'
        }
        &'belfry;help;acl;token;create'= {
        }
        &'belfry;help;acl;token;list'= {
        }
        &'belfry;help;acl;token;delete'= {
        }
        &'belfry;help;acl;roles'= {
        }
        &'belfry;help;version'= {
        }
        &'belfry;help;keygen'= {
        }
        &'belfry;help;cluster-key'= {
        }
        &'belfry;help;tls'= {
            cand ca 'Make or inspect the cluster''s certificate authority'
            cand cert 'Make certificates signed by the CA'
        }
        &'belfry;help;tls;ca'= {
            cand create 'Write a new CA: belfry-agent-ca.pem and belfry-agent-ca-key.pem (key mode 0600)'
        }
        &'belfry;help;tls;ca;create'= {
        }
        &'belfry;help;tls;cert'= {
            cand create 'Write a certificate and key signed by the CA: <region>-server-belfry-N.pem for --server, <region>-client-belfry-N.pem for --client (key mode 0600)'
        }
        &'belfry;help;tls;cert;create'= {
        }
        &'belfry;help;config'= {
            cand check 'Validate an agent config file and print the effective settings (file, BELFRY_* environment and defaults); every bad key is named. Exit 0 if valid, 2 if not'
        }
        &'belfry;help;config;check'= {
        }
        &'belfry;help;snapshot'= {
            cand save 'Save a consistent point-in-time archive of the cluster state (through the leader)'
            cand inspect 'Verify an archive (checksums, every row, and the signature when given the cluster key) and show what it holds (offline)'
            cand restore 'Replace the cluster''s state with an archive''s (or seed a new data dir with --data-dir)'
        }
        &'belfry;help;snapshot;save'= {
        }
        &'belfry;help;snapshot;inspect'= {
        }
        &'belfry;help;snapshot;restore'= {
        }
        &'belfry;help;upgrade'= {
            cand check 'Say whether the next node can be taken down now and print the plan (agents, followers, the leader last). Exit 0 safe, 1 not safe, 2 error'
            cand wait 'After restarting NODE on the new version: wait until it is alive and, for a server, a caught-up voter (not a learner) in a healthy cluster; progress on a terminal. Exit 1 on timeout'
        }
        &'belfry;help;upgrade;check'= {
        }
        &'belfry;help;upgrade;wait'= {
        }
        &'belfry;help;completions'= {
        }
        &'belfry;help;man'= {
        }
        &'belfry;help;generate'= {
        }
        &'belfry;help;help'= {
        }
    ]
    $completions[$command]
}
