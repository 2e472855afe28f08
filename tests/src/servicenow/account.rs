//! The users of an instance as plain data: an [`Account`] that can authenticate, and the
//! [`Actor`] a request runs as once it has. Held by the shared state, filled in by the seed,
//! checked by the request handlers (`auth`, `oauth`).

/// A user who can authenticate.
#[derive(Clone, Debug)]
pub(crate) struct Account {
    pub(crate) user_name: String,
    pub(crate) password: String,
    pub(crate) sys_id: String,
    pub(crate) display_name: String,
    /// Admins pass record ACLs (e.g. write Closed incidents under `ClosedWrites::Strict`).
    pub(crate) admin: bool,
}

/// The authenticated caller of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Actor {
    pub(crate) user_name: String,
    pub(crate) sys_id: String,
    pub(crate) display_name: String,
    pub(crate) admin: bool,
}

impl From<&Account> for Actor {
    fn from(account: &Account) -> Self {
        Actor {
            user_name: account.user_name.clone(),
            sys_id: account.sys_id.clone(),
            display_name: account.display_name.clone(),
            admin: account.admin,
        }
    }
}

/// Finds the account with these credentials (Basic authentication and the OAuth password
/// grant).
pub(crate) fn check_password<'a>(
    accounts: &'a [Account],
    user: &str,
    password: &str,
) -> Option<&'a Account> {
    accounts
        .iter()
        .find(|a| a.user_name == user && a.password == password)
}
