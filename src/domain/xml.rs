//! `event-data-xml`: safe reading into key-values, and writing of the documents the
//! service itself creates.
//!
//! Reading is hand-driven over quick-xml's pull parser because what we need (refuse any
//! DTD, resolve only the five predefined entities and character references, bound size and
//! depth, list text-holding elements in document order) is a policy no crate offers as a
//! whole; quick-xml never expands entities by itself, which is why it was chosen.

use quick_xml::escape::{escape, resolve_predefined_entity};
use quick_xml::events::Event;
use quick_xml::reader::Reader;
use serde::Serialize;
use utoipa::ToSchema;

/// The most any configuration may let an event's XML be: what the documents promise as
/// the longest XML text, key or value a client can be sent.
pub const MAX_XML_BYTES: usize = 1024 * 1024;

/// The most text-holding elements an XML of [`MAX_XML_BYTES`] can have: each takes at
/// least eight bytes (`<a>x</a>`).
pub const MAX_KEY_VALUES: usize = MAX_XML_BYTES / 8;

/// Bounds on documents accepted from clients.
#[derive(Debug, Clone, Copy)]
pub struct XmlLimits {
    /// Largest document, in bytes.
    pub max_bytes: usize,
    /// Deepest element nesting.
    pub max_depth: usize,
}

impl Default for XmlLimits {
    fn default() -> Self {
        Self {
            max_bytes: 32 * 1024,
            max_depth: 16,
        }
    }
}

/// One text-holding element of an event's XML, as the guide's `event-data-key-values`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct KeyValue {
    /// Name of the enclosing element; `null` for a root element holding text.
    #[serde(rename = "event-data-xml-parent-key")]
    pub parent: Option<String>,
    /// The element's name.
    #[serde(rename = "event-data-xml-key")]
    pub key: String,
    /// The element's text.
    #[serde(rename = "event-data-xml-value")]
    pub value: String,
}

/// Why a document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XmlError {
    /// Over [`XmlLimits::max_bytes`].
    #[error("the XML document is larger than {0} bytes")]
    TooLarge(usize),
    /// Over [`XmlLimits::max_depth`].
    #[error("the XML document nests deeper than {0} elements")]
    TooDeep(usize),
    /// A `<!DOCTYPE`: DTDs (and with them entity definitions) are never accepted.
    #[error("DTDs are not accepted in event data")]
    Dtd,
    /// An entity other than the five predefined ones.
    #[error(
        "the entity &{0}; is not allowed (only &lt; &gt; &amp; &apos; &quot; and character references)"
    )]
    Entity(String),
    /// Not well-formed.
    #[error("the XML is not well-formed: {0}")]
    Malformed(String),
}

struct Open {
    name: String,
    text: String,
    order: usize,
}

/// Reads `xml` under `limits` and lists every element holding text, in document order.
pub fn key_values(xml: &str, limits: &XmlLimits) -> Result<Vec<KeyValue>, XmlError> {
    if xml.len() > limits.max_bytes {
        return Err(XmlError::TooLarge(limits.max_bytes));
    }
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Open> = Vec::new();
    let mut found: Vec<(usize, KeyValue)> = Vec::new();
    let mut starts = 0usize;
    let mut roots = 0usize;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| XmlError::Malformed(e.to_string()))?;
        match event {
            Event::DocType(_) => return Err(XmlError::Dtd),
            Event::Start(start) => {
                enter(stack.len(), &mut roots, limits)?;
                starts += 1;
                stack.push(Open {
                    name: start.name().0.to_owned(),
                    text: String::new(),
                    order: starts,
                });
            }
            // A self-closing element holds no text, so it only counts for the bounds.
            Event::Empty(_) => {
                enter(stack.len(), &mut roots, limits)?;
                starts += 1;
            }
            Event::End(_) => {
                let open = stack
                    .pop()
                    .ok_or_else(|| XmlError::Malformed("unexpected end tag".into()))?;
                let value = open.text.trim();
                if !value.is_empty() {
                    found.push((
                        open.order,
                        KeyValue {
                            parent: stack.last().map(|p| p.name.clone()),
                            key: open.name,
                            value: value.to_owned(),
                        },
                    ));
                }
            }
            Event::Text(text) => append_text(&mut stack, &text.xml10_content())?,
            Event::CData(data) => {
                let content = data.xml10_content();
                append_text(&mut stack, &content)?;
            }
            Event::GeneralRef(reference) => {
                let resolved = if let Some(c) = reference
                    .resolve_char_ref()
                    .map_err(|e| XmlError::Malformed(e.to_string()))?
                {
                    c.to_string()
                } else if let Some(s) = resolve_predefined_entity(&reference) {
                    s.to_owned()
                } else {
                    return Err(XmlError::Entity(reference.to_string()));
                };
                append_text(&mut stack, &resolved)?;
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Malformed(
            "the document ends inside an element".into(),
        ));
    }
    if roots == 0 {
        return Err(XmlError::Malformed("there is no root element".into()));
    }
    found.sort_by_key(|(order, _)| *order);
    Ok(found.into_iter().map(|(_, kv)| kv).collect())
}

/// Checks the bounds for an element opening at `depth` (0 for the root).
fn enter(depth: usize, roots: &mut usize, limits: &XmlLimits) -> Result<(), XmlError> {
    if depth == 0 {
        *roots += 1;
        if *roots > 1 {
            return Err(XmlError::Malformed("more than one root element".into()));
        }
    }
    if depth + 1 > limits.max_depth {
        return Err(XmlError::TooDeep(limits.max_depth));
    }
    Ok(())
}

fn append_text(stack: &mut [Open], text: &str) -> Result<(), XmlError> {
    // XML 1.0's `Char` production: no C0 controls but tab, line feed and carriage return,
    // written or as character references (`&#0;` would otherwise reach the database).
    if let Some(c) = text.chars().find(|c| {
        ((*c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r'))
            || matches!(c, '\u{fffe}' | '\u{ffff}')
    }) {
        return Err(XmlError::Malformed(format!(
            "the character U+{:04X} is not allowed in XML 1.0",
            c as u32
        )));
    }
    match stack.last_mut() {
        Some(open) => {
            open.text.push_str(text);
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None => Err(XmlError::Malformed("text outside the root element".into())),
    }
}

/// Writes `<root><name>value</name>...</root>`, escaping values and leaving out absent ones.
pub fn element(root: &str, fields: &[(&str, Option<&str>)]) -> String {
    let mut xml = format!("<{root}>");
    for (name, value) in fields {
        if let Some(value) = value {
            xml.push_str(&format!("<{name}>{}</{name}>", escape(*value)));
        }
    }
    xml.push_str(&format!("</{root}>"));
    xml
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUIDE: &str = "<customer-login><customer-id>1400269</customer-id><event-id>a65ebbb2-5f23-42de-b0b2-b2362a03b392</event-id><occured-on>2014-10-10T12:34:28.203063+02:00</occured-on><user-id>8001186336</user-id><login-type>authorization-code</login-type><channel>mobile</channel></customer-login>";

    fn read(xml: &str) -> Result<Vec<KeyValue>, XmlError> {
        key_values(xml, &XmlLimits::default())
    }

    #[test]
    fn the_guides_login_gives_its_six_entries_in_order() {
        let kvs = read(GUIDE).unwrap();
        let keys: Vec<_> = kvs.iter().map(|k| k.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "customer-id",
                "event-id",
                "occured-on",
                "user-id",
                "login-type",
                "channel"
            ]
        );
        assert!(
            kvs.iter()
                .all(|k| k.parent.as_deref() == Some("customer-login"))
        );
        assert_eq!(kvs[2].value, "2014-10-10T12:34:28.203063+02:00");
    }

    #[test]
    fn nested_elements_name_their_own_parent_and_keep_document_order() {
        let kvs = read("<a><b><c>1</c></b><d>2</d><e/></a>").unwrap();
        let got: Vec<_> = kvs
            .iter()
            .map(|k| (k.parent.clone().unwrap(), k.key.clone(), k.value.clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("b".into(), "c".into(), "1".into()),
                ("a".into(), "d".into(), "2".into())
            ]
        );
    }

    #[test]
    fn predefined_entities_and_character_references_are_resolved() {
        let kvs = read("<a><b>x &amp; y &#65;&#x42; <![CDATA[<z>]]></b></a>").unwrap();
        assert_eq!(kvs[0].value, "x & y AB <z>");
    }

    #[test]
    fn a_billion_laughs_is_refused_for_its_dtd() {
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><lolz>&lol2;</lolz>"#;
        assert_eq!(read(bomb).unwrap_err(), XmlError::Dtd);
    }

    #[test]
    fn external_entities_are_refused() {
        let xxe = r#"<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>"#;
        assert_eq!(read(xxe).unwrap_err(), XmlError::Dtd);
        assert_eq!(
            read("<a>&x;</a>").unwrap_err(),
            XmlError::Entity("x".into())
        );
    }

    #[test]
    fn size_and_depth_are_bounded() {
        let limits = XmlLimits {
            max_bytes: 64,
            max_depth: 3,
        };
        assert_eq!(
            key_values(&format!("<a>{}</a>", "x".repeat(100)), &limits),
            Err(XmlError::TooLarge(64))
        );
        assert_eq!(
            key_values("<a><b><c><d>1</d></c></b></a>", &limits),
            Err(XmlError::TooDeep(3))
        );
        assert!(key_values("<a><b><c>1</c></b></a>", &limits).is_ok());
    }

    #[test]
    fn characters_xml_forbids_are_refused_however_written() {
        for xml in [
            "<a>&#0;</a>",
            "<a>x&#x1B;</a>",
            "<a>\u{1}</a>",
            "<a><![CDATA[\u{0}]]></a>",
            "<a>&#xFFFF;</a>",
        ] {
            assert!(matches!(read(xml), Err(XmlError::Malformed(_))), "{xml:?}");
        }
        assert!(read("<a>tab&#9;and&#10;newline</a>").is_ok());
    }

    #[test]
    fn malformed_documents_are_refused() {
        for bad in [
            "",
            "text",
            "<a>",
            "<a></b>",
            "<a/><b/>",
            "<a></a>trailing",
            "</a>",
        ] {
            assert!(read(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn written_documents_escape_and_read_back() {
        let xml = element("note", &[("to", Some("Tom & <Jerry>")), ("cc", None)]);
        assert_eq!(xml, "<note><to>Tom &amp; &lt;Jerry&gt;</to></note>");
        assert_eq!(read(&xml).unwrap()[0].value, "Tom & <Jerry>");
    }
}
