//! Loopback ports for tests: ones where nothing listens, and free ones for a server the test
//! starts (sluice's telemetry, its intake).
//!
//! A port found by binding port 0 and letting go can be handed out again at once, to this test
//! or to another running beside it: a test that takes a port "where nothing listens" and then
//! one for the host's telemetry can get the same port twice, and its errors then come from the
//! telemetry server (a test doing so failed once in a full run, and passed alone). So a port
//! where nothing listens stays bound (never listening) while the test process runs, and no
//! port is handed out twice in one process.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::sync::{Mutex, MutexGuard, PoisonError};

use socket2::{Domain, Socket, Type};

/// The ports handed out in this process.
struct HandedOut {
    /// Every one.
    ports: Vec<u16>,
    /// The closed ones, each with the socket holding it.
    closed: Vec<(u16, Socket)>,
}

static HANDED_OUT: Mutex<HandedOut> = Mutex::new(HandedOut {
    ports: Vec::new(),
    closed: Vec::new(),
});

fn handed_out() -> MutexGuard<'static, HandedOut> {
    HANDED_OUT.lock().unwrap_or_else(PoisonError::into_inner)
}

impl HandedOut {
    /// Records `port` as handed out; false if it was already.
    fn hand_out(&mut self, port: u16) -> bool {
        if self.ports.contains(&port) {
            return false;
        }
        self.ports.push(port);
        true
    }
}

/// A loopback address where nothing listens, for as long as the test process runs: a socket
/// bound to it, never listening, keeps any other from taking the port, so a connection to it
/// is refused.
pub fn closed_address() -> SocketAddr {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("a socket");
    socket
        .bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, 0)).into())
        .expect("bind a loopback port");
    let address = socket
        .local_addr()
        .expect("its address")
        .as_socket()
        .expect("an IP address");
    let mut handed_out = handed_out();
    assert!(
        handed_out.hand_out(address.port()),
        "a bound port was handed out twice"
    );
    handed_out.closed.push((address.port(), socket));
    address
}

/// [`closed_address`]'s port.
pub fn closed_port() -> u16 {
    closed_address().port()
}

/// Lets go of closed `port`, for a server the test starts on it now (a sink that comes up).
pub fn release(port: u16) {
    handed_out().closed.retain(|(held, _)| *held != port);
}

/// A loopback port free now for a server the test starts, and never handed out before in this
/// process.
pub fn free_port() -> u16 {
    loop {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a loopback port");
        let port = listener.local_addr().expect("its address").port();
        if handed_out().hand_out(port) {
            return port;
        }
    }
}
