//! `monitor --listen`: `/metrics` and `/healthz` over HTTP (tiny_http, one
//! thread). A scrape is answered from the last rendered snapshot and never
//! waits on NVML; the sampling loop publishes a new one each interval.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Default)]
struct Snapshot {
    openmetrics: Arc<str>,
    text: Arc<str>,
    at: Option<Instant>,
}

pub struct Server {
    address: SocketAddr,
    snapshot: Arc<Mutex<Snapshot>>,
    http: Arc<tiny_http::Server>,
    done: Arc<AtomicBool>,
}

impl Server {
    /// Binds `addr` (port 0 picks a free port) and starts answering.
    pub fn start(addr: &str, interval: Duration) -> Result<Self, String> {
        let http = tiny_http::Server::http(addr).map_err(|e| format!("cannot listen: {e}"))?;
        let address = http
            .server_addr()
            .to_ip()
            .ok_or_else(|| "not an IP address".to_string())?;
        let http = Arc::new(http);
        let snapshot = Arc::new(Mutex::new(Snapshot::default()));
        let done = Arc::new(AtomicBool::new(false));
        // Stale after three missed intervals (and never sooner than 5 s):
        // the sampling loop is stuck, so /healthz says so.
        let stale_after = (interval * 3).max(Duration::from_secs(5));
        let (h, s, d) = (http.clone(), snapshot.clone(), done.clone());
        std::thread::spawn(move || {
            while !d.load(Ordering::Relaxed) {
                match h.recv_timeout(Duration::from_millis(200)) {
                    Ok(Some(request)) => answer(request, &s, stale_after),
                    Ok(None) => {}
                    // Accept errors (fd limits, resets) must not end serving.
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Ok(Self {
            address,
            snapshot,
            http,
            done,
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Makes a new exposition the one scrapes get.
    pub fn publish(&self, openmetrics: String, text: String) {
        let mut s = self.snapshot.lock().unwrap_or_else(PoisonError::into_inner);
        s.openmetrics = openmetrics.into();
        s.text = text.into();
        s.at = Some(Instant::now());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        self.http.unblock();
    }
}

fn answer(request: tiny_http::Request, snapshot: &Mutex<Snapshot>, stale_after: Duration) {
    let (om, text, at) = {
        let s = snapshot.lock().unwrap_or_else(PoisonError::into_inner);
        (s.openmetrics.clone(), s.text.clone(), s.at)
    };
    let path = request.url().split('?').next().unwrap_or("");
    let get = matches!(
        request.method(),
        tiny_http::Method::Get | tiny_http::Method::Head
    );
    let wants_openmetrics = request.headers().iter().any(|h| {
        h.field.equiv("Accept") && h.value.as_str().contains("application/openmetrics-text")
    });
    let (code, body, ctype): (u16, Arc<str>, &str) = match (get, path, at) {
        (false, _, _) => (405, "method not allowed\n".into(), "text/plain"),
        (true, "/metrics", None) => (503, "no sample yet\n".into(), "text/plain"),
        (true, "/metrics", Some(_)) if wants_openmetrics => (200, om, OPENMETRICS),
        (true, "/metrics", Some(_)) => (200, text, PROMETHEUS_TEXT),
        (true, "/healthz", Some(t)) if t.elapsed() <= stale_after => {
            (200, "ok\n".into(), "text/plain")
        }
        (true, "/healthz", _) => (503, "no recent sample\n".into(), "text/plain"),
        _ => (
            404,
            "not found: try /metrics or /healthz\n".into(),
            "text/plain",
        ),
    };
    let mut response =
        tiny_http::Response::from_data(body.as_bytes().to_vec()).with_status_code(code);
    if let Ok(h) = tiny_http::Header::from_bytes("Content-Type", ctype) {
        response.add_header(h);
    }
    // The client may have gone; nothing to do about it.
    let _ = request.respond(response);
}
