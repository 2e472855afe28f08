//! The few system calls std has no safe wrapper for: who we are, who to run PostgreSQL as,
//! signals to the postmaster, and the System V shared memory segment it leaves behind when
//! it is killed. Each `unsafe` block is one libc call on values owned here.

use std::ffi::{CStr, CString};
use std::io;
use std::mem::MaybeUninit;
use std::ptr;

/// A user account, as the password database has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct User {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

/// The signals sent to a postmaster, by the shutdown they ask for.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Signal {
    /// Fast shutdown: roll back open transactions, write a checkpoint, exit.
    Interrupt,
    /// Immediate shutdown: exit at once; the next start recovers from the WAL.
    Quit,
}

/// Our effective user id: PostgreSQL refuses to run as root, so this decides who runs it.
pub(crate) fn effective_uid() -> u32 {
    // SAFETY: geteuid takes nothing and cannot fail.
    unsafe { libc::geteuid() }
}

/// The account called `name`, if there is one.
pub(crate) fn user_named(name: &str) -> Option<User> {
    let c_name = CString::new(name).ok()?;
    let mut buffer = vec![0u8; 1024];
    loop {
        let mut entry = MaybeUninit::<libc::passwd>::uninit();
        let mut found: *mut libc::passwd = ptr::null_mut();
        // SAFETY: every pointer is to a live value of the type getpwnam_r expects, and the
        // length is the buffer's; the strings it writes into `entry` point into `buffer`.
        let code = unsafe {
            libc::getpwnam_r(
                c_name.as_ptr(),
                entry.as_mut_ptr(),
                buffer.as_mut_ptr().cast(),
                buffer.len(),
                &mut found,
            )
        };
        if code == libc::ERANGE && buffer.len() < 1 << 20 {
            buffer.resize(buffer.len() * 4, 0);
            continue;
        }
        if code != 0 || found.is_null() {
            return None;
        }
        // SAFETY: getpwnam_r succeeded and set `found`, so `entry` is initialised; `pw_name`
        // points into `buffer`, which is still alive.
        let entry = unsafe { entry.assume_init() };
        let name = unsafe { CStr::from_ptr(entry.pw_name) };
        return Some(User {
            name: name.to_string_lossy().into_owned(),
            uid: entry.pw_uid,
            gid: entry.pw_gid,
        });
    }
}

/// Sends `signal` to the process `pid`.
pub(crate) fn send(pid: u32, signal: Signal) -> io::Result<()> {
    let number = match signal {
        Signal::Interrupt => libc::SIGINT,
        Signal::Quit => libc::SIGQUIT,
    };
    let pid =
        libc::pid_t::try_from(pid).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: kill takes plain integers; a pid we no longer own fails with ESRCH.
    if unsafe { libc::kill(pid, number) } == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// A shared memory segment's creator, and whether any process still has it attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Segment {
    pub creator: u32,
    pub attached: bool,
}

/// The segment `id`, or `None` once it is gone.
pub(crate) fn segment(id: i32) -> Option<Segment> {
    let mut stat = MaybeUninit::<libc::shmid_ds>::uninit();
    // SAFETY: IPC_STAT writes one `shmid_ds` into the value we pass.
    if unsafe { libc::shmctl(id, libc::IPC_STAT, stat.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: shmctl succeeded, so it filled `stat`.
    let stat = unsafe { stat.assume_init() };
    Some(Segment {
        creator: u32::try_from(stat.shm_cpid).unwrap_or(0),
        attached: stat.shm_nattch != 0,
    })
}

/// Removes the segment `id` (at once if nothing has it attached, else when the last detaches).
pub(crate) fn remove_segment(id: i32) {
    // SAFETY: IPC_RMID reads nothing through the pointer, which may be null.
    unsafe { libc::shmctl(id, libc::IPC_RMID, ptr::null_mut()) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_in_the_password_database_and_a_made_up_name_is_not() {
        let root = user_named("root").expect("every Unix has root");
        assert_eq!((root.uid, root.gid), (0, 0));
        assert_eq!(root.name, "root");
        assert_eq!(user_named("sluice-no-such-user"), None);
        assert_eq!(user_named("nul\0in-name"), None);
    }

    #[test]
    fn a_segment_that_does_not_exist_is_none() {
        assert_eq!(segment(-1), None);
    }
}
