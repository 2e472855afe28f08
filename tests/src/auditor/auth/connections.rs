//! What the server remembers per connection: a handshake half done (NTLM's CHALLENGE sent),
//! or an account authenticated. NTLM and Negotiate authenticate the connection, so a request
//! that arrives on an authenticated connection without an `Authorization` header is served,
//! as HTTP.sys does; a new connection starts over.

use std::collections::BTreeMap;
use std::sync::Mutex;

use super::ntlm::Challenge;
use super::spnego::Framing;
use super::Scheme;

/// At most this many connections are remembered; the oldest are forgotten first (a
/// forgotten connection must authenticate again, which clients do on a 401).
const REMEMBERED: usize = 4096;

/// The state of one connection.
#[derive(Debug, Clone)]
pub(crate) enum ConnectionState {
    /// The CHALLENGE was sent; the AUTHENTICATE must come on this connection.
    Challenged {
        /// NTLM or Negotiate.
        scheme: Scheme,
        /// What the CHALLENGE held.
        challenge: Challenge,
        /// How the client framed its tokens.
        framing: Framing,
    },
    /// Authenticated (by NTLM or Negotiate).
    Authenticated,
}

/// Connections by the id the server gave them.
#[derive(Debug, Default)]
pub(crate) struct Connections {
    states: Mutex<BTreeMap<u64, ConnectionState>>,
}

impl Connections {
    /// The state of connection `id`, if any.
    pub(crate) fn get(&self, id: u64) -> Option<ConnectionState> {
        self.lock().get(&id).cloned()
    }

    /// Sets the state of connection `id`.
    pub(crate) fn set(&self, id: u64, state: ConnectionState) {
        let mut states = self.lock();
        states.insert(id, state);
        while states.len() > REMEMBERED {
            states.pop_first();
        }
    }

    /// Forgets connection `id` (a failed handshake starts over).
    pub(crate) fn forget(&self, id: u64) {
        self.lock().remove(&id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, ConnectionState>> {
        // A panic while holding the lock leaves the map usable.
        self.states
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
