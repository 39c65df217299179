//! Azure Arc's key-file challenge, as data. The agent (himds) answers a token request without a
//! key with 401 and `WWW-Authenticate: Basic realm=<path>`: a file it just wrote in its own
//! folder. The client reads the file and sends the request again with
//! `Authorization: Basic <content>`. Whoever can make this process read a file of its choice and
//! send it away has won, so the path is checked here before the shell touches the disk
//! (MSAL.NET's `AzureArcManagedIdentitySource`, msal-node's `AzureArc`):
//!
//! - the realm names a file directly in the platform's folder (Linux
//!   `/var/opt/azcmagent/tokens/`, Windows `%ProgramData%\AzureConnectedMachineAgent\Tokens\`):
//!   no subfolder, no `..`, no other separator;
//! - its name ends in `.key`;
//! - the shell reads at most [`MAX_KEY_BYTES`] bytes of a regular file (no symlink, no folder),
//!   and reports anything else as a [`FileError`].
//!
//! No message quotes the header, the path or the file: the folder named is the constant one.

use super::source::unavailable;
use crate::error::Error;
use crate::response::HttpResponse;
use crate::secret::ClientSecret;

/// The api-version Arc's agent is asked with (MSAL.NET's; the agent serves it).
pub const API_VERSION: &str = "2019-11-01";
/// The agent's address when it is installed and `IDENTITY_ENDPOINT` / `IMDS_ENDPOINT` are not set.
pub const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:40342/metadata/identity/oauth2/token";
/// The agent's key folder on Linux.
pub const LINUX_FOLDER: &str = "/var/opt/azcmagent/tokens/";
/// The agent's key folder on Windows, under `%ProgramData%`.
pub const WINDOWS_SUBFOLDER: &str = "\\AzureConnectedMachineAgent\\Tokens\\";
/// The largest key file read, in bytes (the agent's keys are far smaller).
pub const MAX_KEY_BYTES: u64 = 4096;

/// Why the shell could not read the key file: the core turns each into a message naming the
/// rule and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileError {
    /// No such file.
    NotFound,
    /// A symlink, folder or other non-regular file.
    NotAFile,
    /// Larger than the limit the action gave.
    TooLarge,
    /// The system refused (its code, e.g. `EACCES`; never the path).
    Unreadable(String),
    /// This runtime cannot read files (no hook).
    Unsupported,
}

/// The agent's folder on `platform` (Node's `process.platform`); `program_data` is
/// `%ProgramData%` on Windows.
///
/// # Errors
/// `credential_unavailable` on another platform (the agent runs on Linux and Windows only), or
/// on Windows without `ProgramData`.
pub fn folder(platform: Option<&str>, program_data: Option<&str>) -> Result<String, Error> {
    match (platform, program_data) {
        (Some("linux"), _) => Ok(LINUX_FOLDER.to_owned()),
        (Some("win32"), Some(data)) if !data.trim().is_empty() => Ok(format!(
            "{}{WINDOWS_SUBFOLDER}",
            data.trim().trim_end_matches('\\')
        )),
        (Some("win32"), _) => Err(unavailable(
            "ManagedIdentityCredential: Azure Arc keeps its key files under %ProgramData%, and ProgramData is not set: run as a Windows service or user that has it",
        )),
        _ => Err(unavailable(
            "ManagedIdentityCredential: Azure Arc (IDENTITY_ENDPOINT with IMDS_ENDPOINT) runs on Linux and Windows only: use another credential on this platform",
        )),
    }
}

/// The key file a 401 from the agent names, once it passed every rule; `folder` is [`folder`]'s.
///
/// # Errors
/// `credential_unavailable` naming the rule that failed: no `WWW-Authenticate`, not
/// `Basic realm=<path>`, a path outside `folder` (a subfolder, `..`, another separator), a name
/// not ending in `.key`.
pub fn key_file(resp: &HttpResponse, folder: &str) -> Result<String, Error> {
    let Some(challenge) = resp.header("www-authenticate") else {
        return Err(refused(
            "answered 401 without a WWW-Authenticate header, which must name its key file",
        ));
    };
    let Some(path) = realm(challenge) else {
        return Err(refused(
            "answered 401 with a WWW-Authenticate header that is not Basic realm=<key file>",
        ));
    };
    let name = path.strip_prefix(folder).unwrap_or_default();
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && !name
            .chars()
            .any(|c| matches!(c, '/' | '\\' | ':') || c.is_control());
    if !plain {
        return Err(refused(&format!(
            "named a key file that is not directly in the agent's folder {folder} (rule: the realm must be a file in that folder, no subfolder, \"..\" or other path)"
        )));
    }
    if !name.ends_with(".key") {
        return Err(refused(
            "named a key file whose name does not end in .key (rule: the agent's key files are <name>.key)",
        ));
    }
    Ok(path.to_owned())
}

/// The path in `Basic realm=<path>` (the scheme in any case, the path maybe quoted).
fn realm(challenge: &str) -> Option<&str> {
    let challenge = challenge.trim();
    let (scheme, rest) = challenge.split_once(char::is_whitespace)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let rest = rest.trim_start();
    let (name, value) = rest.split_once('=')?;
    if !name.eq_ignore_ascii_case("realm") {
        return None;
    }
    let value = value.trim();
    let value = match value.strip_prefix('"') {
        Some(quoted) => quoted.strip_suffix('"')?,
        None => value,
    };
    (!value.is_empty()).then_some(value)
}

/// The key from the file's content: sent as `Authorization: Basic <key>`.
///
/// # Errors
/// `credential_unavailable` when the file is empty or holds anything but visible ASCII (a
/// header value cannot carry it, and the agent writes none).
pub fn key(content: &ClientSecret) -> Result<ClientSecret, Error> {
    let text = content
        .secret()
        .trim_matches(|c: char| c.is_ascii_whitespace());
    if text.is_empty() || !text.chars().all(|c| c.is_ascii_graphic()) {
        return Err(unavailable(
            "ManagedIdentityCredential: the Azure Arc agent's key file is empty or holds something other than a key (visible ASCII): restart the agent (azcmagent) and try again",
        ));
    }
    Ok(ClientSecret::new(text))
}

/// The error for a key file the shell could not read.
pub fn file_error(err: &FileError) -> Error {
    let why = match err {
        FileError::NotFound => "does not exist (the agent removes its keys quickly: a retry gets a new one)".to_owned(),
        FileError::NotAFile => "is not a regular file (rule: no symlink or folder)".to_owned(),
        FileError::TooLarge => format!("is larger than {MAX_KEY_BYTES} bytes (rule: a key file is at most {MAX_KEY_BYTES} bytes)"),
        FileError::Unreadable(code) => format!("cannot be read ({code}): run as root or as a member of the himds group, which may read the agent's keys"),
        FileError::Unsupported => "cannot be read by this runtime: Azure Arc's managed identity needs Node".to_owned(),
    };
    unavailable(format!(
        "ManagedIdentityCredential: the key file the Azure Arc agent named {why}; nothing was sent with it"
    ))
}

fn refused(what: &str) -> Error {
    unavailable(format!(
        "ManagedIdentityCredential: the Azure Arc endpoint (IDENTITY_ENDPOINT) {what}; no file was read and nothing was sent. \
         IDENTITY_ENDPOINT must be the Azure Arc agent (himds): check the variable, or restart the agent (azcmagent)"
    ))
}
