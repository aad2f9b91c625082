//! A throwaway PostgreSQL server for the test binary: initdb in a temporary directory, listen
//! on loopback at a free port, one fresh database per test. The server stops, and its
//! directory is deleted, when the test process exits (a watchdog shell waits for our pid).

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

pub struct Server {
    pub port: u16,
    _dir: tempfile::TempDir,
}

static SERVER: OnceLock<Result<Server, String>> = OnceLock::new();
static NEXT_DB: AtomicU32 = AtomicU32::new(1);

fn bin_dir() -> Result<PathBuf, String> {
    if let Ok(dir) = std::env::var("GRIDLINE_PG_BIN") {
        return Ok(PathBuf::from(dir));
    }
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|e| format!("PostgreSQL server binaries not found (/usr/lib/postgresql: {e}); install postgresql-15"))?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("initdb").exists())
        .collect();
    found.sort();
    found
        .pop()
        .ok_or_else(|| "no initdb under /usr/lib/postgresql/*/bin; install postgresql-15".into())
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Runs a server binary, as the `postgres` user when we are root (PostgreSQL refuses root).
fn pg_command(bin: &Path, root: bool) -> Command {
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    }
}

fn start() -> Result<Server, String> {
    let bin = bin_dir()?;
    let root = is_root();
    let dir = tempfile::Builder::new()
        .prefix("gridline-pg-")
        .tempdir()
        .map_err(|e| e.to_string())?;
    let data = dir.path().join("data");
    if root {
        Command::new("chown")
            .args(["-R", "postgres:postgres"])
            .arg(dir.path())
            .status()
            .map_err(|e| e.to_string())?;
    }
    let out = pg_command(&bin.join("initdb"), root)
        .args(["-D"])
        .arg(&data)
        .args([
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "-E",
            "UTF8",
            "--locale=C",
        ])
        .output()
        .map_err(|e| format!("initdb: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    let postgres = bin.join("postgres");
    let runner = if root {
        format!("runuser -u postgres -- {}", postgres.display())
    } else {
        postgres.display().to_string()
    };
    // The watchdog ends the server when this test process is gone, and deletes its directory
    // (the `TempDir` lives in a static and is never dropped). The signal goes to the server's
    // own pid from postmaster.pid: as root, `$!` is `runuser`, which does not pass SIGINT on,
    // and every test process would leave a server running behind it.
    let script = format!(
        "{runner} -D '{data}' -p {port} -h 127.0.0.1 -k '{sock}' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 > '{log}' 2>&1 & pg=$!; \
         while kill -0 {me} 2>/dev/null && kill -0 $pg 2>/dev/null; do sleep 1; done; \
         pid=$(head -n 1 '{data}/postmaster.pid' 2>/dev/null); \
         [ -n \"$pid\" ] && kill -INT \"$pid\" 2>/dev/null; kill -INT $pg 2>/dev/null; \
         i=0; while [ -n \"$pid\" ] && kill -0 \"$pid\" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; \
         rm -rf '{dir}'",
        data = data.display(),
        sock = dir.path().display(),
        dir = dir.path().display(),
        log = dir.path().join("server.log").display(),
        me = std::process::id(),
    );
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    for _ in 0..300 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(Server { port, _dir: dir });
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
    Err(format!("PostgreSQL did not start: {log}"))
}

pub fn server() -> &'static Server {
    match SERVER.get_or_init(start) {
        Ok(s) => s,
        Err(e) => panic!("cannot start the test PostgreSQL server: {e}"),
    }
}

/// A fresh, empty database on the shared server; returns its URL.
pub async fn fresh_database() -> String {
    let server = server();
    let name = format!(
        "gridline_test_{}_{}",
        std::process::id(),
        NEXT_DB.fetch_add(1, Ordering::SeqCst)
    );
    let admin_url = format!("postgres://postgres@127.0.0.1:{}/postgres", server.port);
    let mut conn = connect(&admin_url).await;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create database");
    format!("postgres://postgres@127.0.0.1:{}/{name}", server.port)
}

/// Runs SQL as the superuser on the maintenance database (to make a database go away).
pub async fn admin(sql: &str) {
    let admin_url = format!("postgres://postgres@127.0.0.1:{}/postgres", server().port);
    let mut conn = connect(&admin_url).await;
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut conn)
        .await
        .expect("admin statement");
}

/// Connects, waiting out the server's start-up ("the database system is starting up").
async fn connect(url: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    let mut last = None;
    for _ in 0..100 {
        match sqlx::PgConnection::connect(url).await {
            Ok(c) => return c,
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("cannot connect to the test PostgreSQL server: {last:?}");
}

/// A PostgreSQL server of one test's own, which the test may stop and start (the crash test
/// stops it under the daemon). Stopped, and its directory deleted, when dropped.
pub struct OwnedServer {
    pub port: u16,
    bin: PathBuf,
    root: bool,
    data: PathBuf,
    dir: tempfile::TempDir,
}

impl OwnedServer {
    pub fn start() -> Result<OwnedServer, String> {
        let bin = bin_dir()?;
        let root = is_root();
        let dir = tempfile::Builder::new()
            .prefix("gridline-pg-own-")
            .tempdir()
            .map_err(|e| e.to_string())?;
        let data = dir.path().join("data");
        if root {
            Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .map_err(|e| e.to_string())?;
        }
        let out = pg_command(&bin.join("initdb"), root)
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"])
            .arg("--locale=C")
            .output()
            .map_err(|e| format!("initdb: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "initdb failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let server = OwnedServer {
            port,
            bin,
            root,
            data,
            dir,
        };
        server.resume()?;
        Ok(server)
    }

    /// The URL of the `postgres` database on it.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the (stopped) server and waits until it takes connections.
    pub fn resume(&self) -> Result<(), String> {
        let options = format!(
            "-p {} -h 127.0.0.1 -k {} -c max_connections=200",
            self.port,
            self.dir.path().display()
        );
        let out = pg_command(&self.bin.join("pg_ctl"), self.root)
            .arg("-D")
            .arg(&self.data)
            .args(["-o", &options, "-l"])
            .arg(self.dir.path().join("server.log"))
            .args(["-w", "-t", "60", "start"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .output()
            .map_err(|e| format!("pg_ctl start: {e}"))?;
        if !out.status.success() {
            let log =
                std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default();
            return Err(format!(
                "pg_ctl start failed: {}{log}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(())
    }

    /// Stops the server at once (`-m immediate`: no checkpoint, clients cut off, as in a
    /// crash of the server process; it recovers from its log at the next start).
    pub fn stop_immediately(&self) {
        let _ = pg_command(&self.bin.join("pg_ctl"), self.root)
            .arg("-D")
            .arg(&self.data)
            .args(["-m", "immediate", "-w", "stop"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for OwnedServer {
    fn drop(&mut self) {
        self.stop_immediately();
    }
}
