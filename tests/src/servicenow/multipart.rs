//! A small `multipart/form-data` reader for `/attachment/upload`: the body is already
//! buffered (it is capped at the REST payload limit), so a slice scan is enough and the crate
//! needs no multipart dependency.

/// One form part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Part {
    /// `name` of `Content-Disposition`.
    pub(crate) name: String,
    /// `filename` of `Content-Disposition`, present on file parts.
    pub(crate) file_name: Option<String>,
    /// The part's own `Content-Type`.
    pub(crate) content_type: Option<String>,
    pub(crate) data: Vec<u8>,
}

/// Why a body is not readable multipart.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum MultipartError {
    #[error("the Content-Type has no multipart boundary")]
    NoBoundary,
    #[error("the body is not multipart data with the announced boundary")]
    Malformed,
}

/// The boundary parameter of a `multipart/form-data` content type.
pub(crate) fn boundary(content_type: &str) -> Result<String, MultipartError> {
    let mut pieces = content_type.split(';');
    let kind = pieces.next().unwrap_or("").trim();
    if !kind.eq_ignore_ascii_case("multipart/form-data") {
        return Err(MultipartError::NoBoundary);
    }
    pieces
        .filter_map(|p| p.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        .filter(|b| !b.is_empty())
        .ok_or(MultipartError::NoBoundary)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Splits `body` into its parts, in order.
pub(crate) fn parse(body: &[u8], boundary: &str) -> Result<Vec<Part>, MultipartError> {
    let delimiter = format!("--{boundary}");
    let start = find(body, delimiter.as_bytes()).ok_or(MultipartError::Malformed)?;
    let mut rest = &body[start + delimiter.len()..];
    let closing = format!("\r\n--{boundary}");
    let mut parts = Vec::new();
    loop {
        if rest.starts_with(b"--") {
            return Ok(parts);
        }
        rest = rest
            .strip_prefix(b"\r\n")
            .ok_or(MultipartError::Malformed)?;
        let header_end = find(rest, b"\r\n\r\n").ok_or(MultipartError::Malformed)?;
        let head =
            std::str::from_utf8(&rest[..header_end]).map_err(|_| MultipartError::Malformed)?;
        rest = &rest[header_end + 4..];
        let data_end = find(rest, closing.as_bytes()).ok_or(MultipartError::Malformed)?;
        parts.push(part(head, rest[..data_end].to_vec())?);
        rest = &rest[data_end + closing.len()..];
    }
}

fn part(head: &str, data: Vec<u8>) -> Result<Part, MultipartError> {
    let mut name = None;
    let mut file_name = None;
    let mut content_type = None;
    for line in head.split("\r\n") {
        let Some((header, value)) = line.split_once(':') else {
            continue;
        };
        if header.trim().eq_ignore_ascii_case("content-type") {
            content_type = Some(value.trim().to_owned());
        } else if header.trim().eq_ignore_ascii_case("content-disposition") {
            for param in value.split(';').skip(1) {
                let Some((key, raw)) = param.split_once('=') else {
                    continue;
                };
                let raw = raw.trim().trim_matches('"').to_owned();
                match key.trim().to_ascii_lowercase().as_str() {
                    "name" => name = Some(raw),
                    "filename" => file_name = Some(raw),
                    _ => {}
                }
            }
        }
    }
    Ok(Part {
        name: name.ok_or(MultipartError::Malformed)?,
        file_name,
        content_type,
        data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_and_a_file() {
        let body = b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"table_name\"\r\n\r\nincident\r\n\
--XyZ\r\nContent-Disposition: form-data; name=\"uploadFile\"; filename=\"df.txt\"\r\nContent-Type: text/plain\r\n\r\nline1\r\nline2\r\n--XyZ--\r\n";
        let parts = parse(body, "XyZ");
        assert_eq!(
            parts,
            Ok(vec![
                Part {
                    name: "table_name".to_owned(),
                    file_name: None,
                    content_type: None,
                    data: b"incident".to_vec(),
                },
                Part {
                    name: "uploadFile".to_owned(),
                    file_name: Some("df.txt".to_owned()),
                    content_type: Some("text/plain".to_owned()),
                    data: b"line1\r\nline2".to_vec(),
                },
            ])
        );
    }

    #[test]
    fn boundaries_and_garbage() {
        assert_eq!(
            boundary("multipart/form-data; boundary=\"abc\""),
            Ok("abc".to_owned())
        );
        assert_eq!(
            boundary("multipart/form-data"),
            Err(MultipartError::NoBoundary)
        );
        assert_eq!(
            boundary("text/plain; boundary=x"),
            Err(MultipartError::NoBoundary)
        );
        assert_eq!(parse(b"nothing here", "x"), Err(MultipartError::Malformed));
        assert_eq!(
            parse(b"--x\r\nno headers end", "x"),
            Err(MultipartError::Malformed)
        );
    }
}
