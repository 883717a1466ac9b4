//! Hostile HTTP clients against the real `relayer` binary (offline mode, no devices): request
//! heads trickled a byte at a time (slowloris), a request body trickled a byte at a time, and one
//! address holding more connections than it may. Whatever they do, everyone else's `GET /health`
//! keeps being answered promptly, and the server closes what exceeds its limits.
//!
//! Client addresses: 127.0.0.0/8 is all loopback on Linux, so binding a client socket to
//! 127.0.0.2 or 127.0.0.3 before connecting gives it its own address as the server sees it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test crate: failures are panics

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::free_port;
use relayer::config::Config;
use relayer::ingest::now_unix;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// `[http] header_timeout_secs` of the slowloris test (the default).
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// `[http] max_connections_per_ip` of every test (the default).
const PER_IP: usize = 64;
/// `[http] body_timeout_secs` of the slow-body test.
const BODY_TIMEOUT: Duration = Duration::from_secs(2);
/// Slack for "the server cut it after the timeout" (2-core CI machines are slow).
const MARGIN: Duration = Duration::from_secs(10);

/// The relayer process; killed (and its temporary directory removed) on drop.
struct Relayer {
    child: Child,
    addr: SocketAddr,
    dir: tempfile::TempDir,
}

impl Relayer {
    /// Starts `relayer run` in offline mode on a free 127.0.0.1 port, with `http` set in the
    /// config's `[http]` table, and waits until `/health` answers.
    async fn start(http: &[(&str, u64)]) -> Relayer {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let config = write_config(dir.path(), port, http);
        let log = std::fs::File::create(dir.path().join("relayer.log")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_relayer"))
            .args(["run", "--config"])
            .arg(&config)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap();
        let mut relayer = Relayer {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            dir,
        };
        relayer.wait_healthy().await;
        relayer
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The process's log so far (for failure messages).
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("relayer.log")).unwrap_or_default()
    }

    async fn wait_healthy(&mut self) {
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "relayer exited with {status} before serving:\n{}",
                    self.log()
                );
            }
            if let Ok(r) = client.get(format!("{}/health", self.url())).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "relayer did not become healthy:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Asserts the process is still running and `/health` answers 200 from 127.0.0.1.
    async fn assert_healthy(&mut self) {
        assert!(
            self.child.try_wait().unwrap().is_none(),
            "relayer exited:\n{}",
            self.log()
        );
        let r = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap()
            .get(format!("{}/health", self.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
}

impl Drop for Relayer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An offline config (no chain, no static devices) listening on 127.0.0.1:`port`, with
/// `http` set in its `[http]` table; its path.
fn write_config(dir: &Path, port: u16, http: &[(&str, u64)]) -> PathBuf {
    let now = now_unix();
    let genesis = now - now % 3600 - 48 * 3600;
    let cfg = Config::builder("cube-localnet", "wasm1hostileclientstest", genesis)
        .offline()
        .store_path(dir.join("relayer.sqlite"))
        .listen_local(port)
        .round_duration_secs(604_800)
        .grace_secs(600)
        .build()
        .unwrap();
    let text = with_http_keys(&cfg.to_toml().unwrap(), http);
    let path = dir.join("relayer.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// `toml` with each `key = value` of `keys` set in its `[http]` table (an existing line of that
/// key is replaced).
fn with_http_keys(toml: &str, keys: &[(&str, u64)]) -> String {
    let mut lines: Vec<String> = toml.lines().map(str::to_string).collect();
    let header = lines
        .iter()
        .position(|l| l.trim() == "[http]")
        .unwrap_or_else(|| panic!("no [http] table in\n{toml}"));
    for (key, value) in keys {
        let line = format!("{key} = {value}");
        let end = lines[header + 1..]
            .iter()
            .position(|l| l.trim_start().starts_with('['))
            .map_or(lines.len(), |i| header + 1 + i);
        let existing = lines[header + 1..end]
            .iter()
            .position(|l| l.split('=').next().map(str::trim) == Some(*key));
        match existing {
            Some(i) => lines[header + 1 + i] = line,
            None => lines.insert(header + 1, line),
        }
    }
    lines.join("\n") + "\n"
}

/// A TCP connection to `to` from the loopback address `from`.
async fn connect_from(from: Ipv4Addr, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::from((from, 0))).unwrap();
    socket.connect(to).await.unwrap()
}

/// Sends a request line and the start of a header, then one more header byte every 500 ms,
/// until the server closes the connection; records in `closed[i]` how long after `opened`
/// that happened.
async fn trickle_head(
    stream: TcpStream,
    opened: Instant,
    closed: Arc<Mutex<Vec<Option<Duration>>>>,
    i: usize,
) {
    let (mut rd, mut wr) = stream.into_split();
    let mut buf = [0u8; 1024];
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut next: &[u8] = b"GET /health HTTP/1.1\r\nHost: relayer\r\nX-Slow: ";
    loop {
        tokio::select! {
            r = rd.read(&mut buf) => match r {
                Ok(0) | Err(_) => break,
                Ok(_) => {} // nothing is expected before the close; keep reading
            },
            _ = tick.tick() => {
                if wr.write_all(next).await.is_err() {
                    break;
                }
                next = b"a";
            }
        }
    }
    closed.lock().unwrap()[i] = Some(opened.elapsed());
}

/// Waits until the peer closes `stream` (or sends anything); then counts it in `closed`.
async fn idle_until_closed(mut stream: TcpStream, closed: Arc<AtomicUsize>) {
    let mut buf = [0u8; 64];
    let _ = stream.read(&mut buf).await;
    closed.fetch_add(1, Ordering::SeqCst);
    // Keep the socket (if the server only wrote) until the task is aborted.
    std::future::pending::<()>().await;
}

/// Reads one HTTP/1.1 response (head, then a `Content-Length` body or everything up to EOF):
/// its status and body.
async fn read_response(stream: &mut (impl AsyncRead + Unpin)) -> (u16, String) {
    fn parse(buf: &[u8], eof: bool) -> Option<(u16, String)> {
        let end = buf.windows(4).position(|w| w == b"\r\n\r\n")?;
        let head = String::from_utf8_lossy(&buf[..end]).into_owned();
        let status: u16 = head.split_whitespace().nth(1)?.parse().ok()?;
        let length = head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            if k.trim().eq_ignore_ascii_case("content-length") {
                v.trim().parse::<usize>().ok()
            } else {
                None
            }
        });
        let body = &buf[end + 4..];
        match length {
            Some(n) if body.len() >= n => {
                Some((status, String::from_utf8_lossy(&body[..n]).into_owned()))
            }
            _ if eof => Some((status, String::from_utf8_lossy(body).into_owned())),
            _ => None,
        }
    }
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(r) = parse(&buf, false) {
            return r;
        }
        let n = stream.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            return parse(&buf, true).unwrap_or_else(|| {
                panic!(
                    "connection closed without a response; got {:?}",
                    String::from_utf8_lossy(&buf)
                )
            });
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_does_not_starve_health() {
    const TRICKLERS: usize = 300;
    let mut relayer = Relayer::start(&[
        ("header_timeout_secs", HEADER_TIMEOUT.as_secs()),
        ("max_connections_per_ip", PER_IP as u64),
    ])
    .await;
    let attacker = Ipv4Addr::new(127, 0, 0, 2);

    let closed = Arc::new(Mutex::new(vec![None; TRICKLERS]));
    let mut tricklers = Vec::new();
    for i in 0..TRICKLERS {
        let stream = connect_from(attacker, relayer.addr).await;
        let opened = Instant::now();
        tricklers.push(tokio::spawn(trickle_head(
            stream,
            opened,
            closed.clone(),
            i,
        )));
    }
    let all_opened = Instant::now();

    // Everyone else: a new connection every 500 ms for 15 s, each answered 200 within 1 s.
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(1))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let mut checks = 0;
    let mut failures = Vec::new();
    while all_opened.elapsed() < Duration::from_secs(15) {
        let started = Instant::now();
        let answer = match client.get(format!("{}/health", relayer.url())).send().await {
            Ok(r) => {
                let status = r.status();
                r.json::<Value>()
                    .await
                    .map(|v| (status, v))
                    .map_err(|e| e.to_string())
            }
            Err(e) => Err(e.to_string()),
        };
        let took = started.elapsed();
        match answer {
            Ok((status, v))
                if status == 200 && v["status"] == "ok" && took < Duration::from_secs(1) => {}
            Ok((status, v)) => failures.push(format!("{status} {v} after {took:?}")),
            Err(e) => failures.push(format!("{e} after {took:?}")),
        }
        checks += 1;
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(checks >= 10, "only {checks} health checks ran");
    assert!(
        failures.is_empty(),
        "{} of {checks} health checks failed under slowloris: {failures:?}",
        failures.len()
    );

    // Every trickling connection is closed by the server: those beyond the per-address limit at
    // once, the others when the header timeout runs out.
    let deadline = all_opened + HEADER_TIMEOUT + MARGIN + MARGIN;
    let closed_after: Vec<Duration> = loop {
        let snapshot = closed.lock().unwrap().clone();
        if let Some(all) = snapshot.iter().copied().collect::<Option<Vec<_>>>() {
            break all;
        }
        let open = snapshot.iter().filter(|c| c.is_none()).count();
        assert!(
            Instant::now() < deadline,
            "{open} trickling connections still open {:?} after they were opened",
            all_opened.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let at_once = closed_after
        .iter()
        .filter(|d| **d < HEADER_TIMEOUT / 2)
        .count();
    assert_eq!(
        at_once,
        TRICKLERS - PER_IP,
        "connections beyond the per-address limit are closed at once, the admitted ones only \
         at the header timeout: {closed_after:?}"
    );
    let slowest = closed_after.iter().max().copied().unwrap_or_default();
    assert!(
        slowest <= HEADER_TIMEOUT + MARGIN,
        "a trickling connection stayed open {slowest:?} (header timeout {HEADER_TIMEOUT:?})"
    );
    for t in tricklers {
        t.abort();
    }
    relayer.assert_healthy().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_body_is_cut_with_408() {
    let mut relayer = Relayer::start(&[("body_timeout_secs", BODY_TIMEOUT.as_secs())]).await;

    let stream = connect_from(Ipv4Addr::LOCALHOST, relayer.addr).await;
    let (mut rd, mut wr) = stream.into_split();
    wr.write_all(
        b"POST /v1/readings HTTP/1.1\r\nHost: relayer\r\nContent-Type: application/json\r\n\
          Content-Length: 10000\r\n\r\n",
    )
    .await
    .unwrap();
    let sent_head = Instant::now();
    // One body byte per second: 10 000 s for the whole body.
    let trickle = tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(1)).await;
            if wr.write_all(b" ").await.is_err() {
                break;
            }
        }
    });

    let (status, body) = tokio::time::timeout(BODY_TIMEOUT + MARGIN, read_response(&mut rd))
        .await
        .unwrap_or_else(|_| panic!("no answer {:?} after the head", BODY_TIMEOUT + MARGIN));
    let took = sent_head.elapsed();
    trickle.abort();
    assert_eq!(status, 408, "{body}");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"], "body_timeout", "{v}");
    // The server's clock starts once it has the head, after `sent_head`.
    assert!(
        took >= BODY_TIMEOUT - Duration::from_millis(250),
        "cut after {took:?}, before the body timeout {BODY_TIMEOUT:?}"
    );
    relayer.assert_healthy().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_limit_per_ip() {
    const IDLE: usize = 80;
    // A long header timeout: the admitted idle connections stay open while this test looks.
    let mut relayer = Relayer::start(&[
        ("header_timeout_secs", 120),
        ("max_connections_per_ip", PER_IP as u64),
    ])
    .await;
    let greedy = Ipv4Addr::new(127, 0, 0, 3);

    let closed = Arc::new(AtomicUsize::new(0));
    let mut idle = Vec::new();
    for _ in 0..IDLE {
        let stream = connect_from(greedy, relayer.addr).await;
        idle.push(tokio::spawn(idle_until_closed(stream, closed.clone())));
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while closed.load(Ordering::SeqCst) < IDLE - PER_IP {
        assert!(
            Instant::now() < deadline,
            "only {} of {IDLE} connections closed",
            closed.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Give the server the chance to close more than it should.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let open = IDLE - closed.load(Ordering::SeqCst);
    assert_eq!(open, PER_IP, "open connections of one address");

    // Another address is served; the greedy one is not, until it lets go.
    let client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    let r = client
        .get(format!("{}/health", relayer.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let greedy_client = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(5))
        .pool_max_idle_per_host(0)
        .local_address(std::net::IpAddr::V4(greedy))
        .build()
        .unwrap();
    let refused = greedy_client
        .get(format!("{}/health", relayer.url()))
        .send()
        .await;
    assert!(
        refused.is_err(),
        "a connection beyond the limit was served: {refused:?}"
    );

    for t in idle {
        t.abort();
    }
    // The released slots are usable again.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match greedy_client
            .get(format!("{}/health", relayer.url()))
            .send()
            .await
        {
            Ok(r) if r.status() == 200 => break,
            other => assert!(
                Instant::now() < deadline,
                "the address is still refused after closing its connections: {other:?}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    relayer.assert_healthy().await;
}
