//! The DNS message format (RFC 1035) as far as mDNS service discovery needs it: the header,
//! questions, and PTR, SRV, TXT, A and AAAA records; other record types are kept as raw bytes.
//! Decoding follows compressed names and rejects anything malformed with an error, never a
//! panic; encoding writes names uncompressed, which keeps it simple and our packets are small.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

pub const TYPE_A: u16 = 1;
pub const TYPE_PTR: u16 = 12;
pub const TYPE_TXT: u16 = 16;
pub const TYPE_AAAA: u16 = 28;
pub const TYPE_SRV: u16 = 33;
pub const TYPE_ANY: u16 = 255;
pub const CLASS_IN: u16 = 1;
pub const CLASS_ANY: u16 = 255;

/// The response bit of the header flags.
pub const FLAG_RESPONSE: u16 = 0x8000;
/// The authoritative-answer bit, set in every mDNS response.
pub const FLAG_AUTHORITATIVE: u16 = 0x0400;
/// The opcode field; mDNS uses only 0 (standard query).
const OPCODE_MASK: u16 = 0x7800;
/// In mDNS the top bit of a question's class asks for a unicast answer (the "QU" bit) and the
/// top bit of a record's class tells caches to flush older records of that name and type.
const CLASS_TOP_BIT: u16 = 0x8000;

const MAX_LABEL_LEN: usize = 63;
/// The longest name in wire form, length bytes and final zero included.
const MAX_NAME_LEN: usize = 255;
/// Compression pointers followed in one name before it is taken for a loop.
const MAX_POINTERS: usize = 64;

/// Why a packet could not be decoded (or a message encoded).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("packet ends inside {0}")]
    Truncated(&'static str),
    #[error("bad name: {0}")]
    BadName(&'static str),
    #[error("bad {0} record")]
    BadRecord(&'static str),
}

/// A domain name as its labels, without the empty root label. Labels are bytes (service
/// instance names may be any UTF-8) compared without regard to ASCII case, as DNS does.
#[derive(Debug, Clone, Default, Eq)]
pub struct Name {
    labels: Vec<Vec<u8>>,
}

impl Name {
    /// The name of these labels; `None` if one is empty or too long, or the whole is too long.
    pub fn from_labels<I, S>(labels: I) -> Option<Name>
    where
        I: IntoIterator<Item = S>,
        S: Into<Vec<u8>>,
    {
        let labels: Vec<Vec<u8>> = labels.into_iter().map(Into::into).collect();
        let wire_len: usize = labels.iter().map(|l| l.len() + 1).sum::<usize>() + 1;
        if wire_len > MAX_NAME_LEN
            || labels
                .iter()
                .any(|l| l.is_empty() || l.len() > MAX_LABEL_LEN)
        {
            return None;
        }
        Some(Name { labels })
    }

    /// Splits `a.b.c` (a trailing dot is allowed) into labels.
    pub fn parse(dotted: &str) -> Option<Name> {
        let trimmed = dotted.strip_suffix('.').unwrap_or(dotted);
        if trimmed.is_empty() {
            return Name::from_labels(Vec::<Vec<u8>>::new());
        }
        Name::from_labels(trimmed.split('.'))
    }

    pub fn labels(&self) -> &[Vec<u8>] {
        &self.labels
    }

    /// This name with `label` in front; `None` if that makes it invalid.
    pub fn prepend(&self, label: &str) -> Option<Name> {
        Name::from_labels(std::iter::once(label.as_bytes().to_vec()).chain(self.labels.clone()))
    }

    /// Whether this name is `suffix` with exactly one more label in front, as a service
    /// instance is to its service type.
    pub fn is_child_of(&self, suffix: &Name) -> bool {
        self.labels.len() == suffix.labels.len() + 1
            && Name::same(&self.labels[1..], &suffix.labels)
    }

    /// The name in a form that is equal (and sorts) as DNS compares names.
    pub fn key(&self) -> Vec<Vec<u8>> {
        self.labels.iter().map(|l| l.to_ascii_lowercase()).collect()
    }

    fn same(a: &[Vec<u8>], b: &[Vec<u8>]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignore_ascii_case(y))
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        Name::same(&self.labels, &other.labels)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for label in &self.labels {
            write!(f, "{}.", String::from_utf8_lossy(label))?;
        }
        if self.labels.is_empty() {
            write!(f, ".")?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    pub name: Name,
    pub qtype: u16,
    /// The class without the QU bit.
    pub qclass: u16,
    /// mDNS's QU bit: the querier asks for a unicast answer.
    pub unicast_response: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordData {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    Ptr(Name),
    Srv {
        priority: u16,
        weight: u16,
        port: u16,
        target: Name,
    },
    /// The character strings, each at most 255 bytes.
    Txt(Vec<Vec<u8>>),
    Other {
        rtype: u16,
        data: Vec<u8>,
    },
}

impl RecordData {
    pub fn rtype(&self) -> u16 {
        match self {
            RecordData::A(_) => TYPE_A,
            RecordData::Aaaa(_) => TYPE_AAAA,
            RecordData::Ptr(_) => TYPE_PTR,
            RecordData::Srv { .. } => TYPE_SRV,
            RecordData::Txt(_) => TYPE_TXT,
            RecordData::Other { rtype, .. } => *rtype,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub name: Name,
    /// The class without the cache-flush bit.
    pub class: u16,
    /// mDNS's cache-flush bit: this record replaces what caches hold for its name and type.
    pub cache_flush: bool,
    pub ttl: u32,
    pub data: RecordData,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Message {
    pub id: u16,
    pub flags: u16,
    pub questions: Vec<Question>,
    pub answers: Vec<Record>,
    pub authorities: Vec<Record>,
    pub additionals: Vec<Record>,
}

impl Message {
    pub fn is_response(&self) -> bool {
        self.flags & FLAG_RESPONSE != 0
    }

    /// A standard query (opcode 0), the only kind mDNS answers.
    pub fn is_standard_query(&self) -> bool {
        !self.is_response() && self.flags & OPCODE_MASK == 0
    }

    /// Every record of the answer, authority and additional sections.
    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.answers
            .iter()
            .chain(&self.authorities)
            .chain(&self.additionals)
    }

    pub fn encode(&self) -> Result<Vec<u8>, WireError> {
        let mut out = Vec::with_capacity(512);
        let count = |n: usize| u16::try_from(n).map_err(|_| WireError::BadRecord("count"));
        out.extend_from_slice(&self.id.to_be_bytes());
        out.extend_from_slice(&self.flags.to_be_bytes());
        for n in [
            self.questions.len(),
            self.answers.len(),
            self.authorities.len(),
            self.additionals.len(),
        ] {
            out.extend_from_slice(&count(n)?.to_be_bytes());
        }
        for q in &self.questions {
            encode_name(&q.name, &mut out);
            out.extend_from_slice(&q.qtype.to_be_bytes());
            let class = q.qclass | if q.unicast_response { CLASS_TOP_BIT } else { 0 };
            out.extend_from_slice(&class.to_be_bytes());
        }
        for r in self.records() {
            encode_record(r, &mut out)?;
        }
        Ok(out)
    }

    pub fn decode(packet: &[u8]) -> Result<Message, WireError> {
        let mut r = Reader { packet, pos: 0 };
        let id = r.u16("the header")?;
        let flags = r.u16("the header")?;
        let qd = r.u16("the header")?;
        let an = r.u16("the header")?;
        let ns = r.u16("the header")?;
        let ar = r.u16("the header")?;
        // Counts are not trusted for allocation: every entry consumes bytes, so a lying count
        // ends in `Truncated` after at most one packet's worth of work.
        let mut questions = Vec::new();
        for _ in 0..qd {
            let name = r.name()?;
            let qtype = r.u16("a question")?;
            let class = r.u16("a question")?;
            questions.push(Question {
                name,
                qtype,
                qclass: class & !CLASS_TOP_BIT,
                unicast_response: class & CLASS_TOP_BIT != 0,
            });
        }
        let mut section = |n: u16| -> Result<Vec<Record>, WireError> {
            let mut records = Vec::new();
            for _ in 0..n {
                records.push(r.record()?);
            }
            Ok(records)
        };
        let answers = section(an)?;
        let authorities = section(ns)?;
        let additionals = section(ar)?;
        Ok(Message {
            id,
            flags,
            questions,
            answers,
            authorities,
            additionals,
        })
    }
}

fn encode_name(name: &Name, out: &mut Vec<u8>) {
    // `Name` can only hold valid labels, so every length fits its byte.
    for label in &name.labels {
        out.push(label.len() as u8);
        out.extend_from_slice(label);
    }
    out.push(0);
}

fn encode_record(r: &Record, out: &mut Vec<u8>) -> Result<(), WireError> {
    encode_name(&r.name, out);
    out.extend_from_slice(&r.data.rtype().to_be_bytes());
    let class = r.class | if r.cache_flush { CLASS_TOP_BIT } else { 0 };
    out.extend_from_slice(&class.to_be_bytes());
    out.extend_from_slice(&r.ttl.to_be_bytes());
    let len_at = out.len();
    out.extend_from_slice(&[0, 0]);
    match &r.data {
        RecordData::A(ip) => out.extend_from_slice(&ip.octets()),
        RecordData::Aaaa(ip) => out.extend_from_slice(&ip.octets()),
        RecordData::Ptr(name) => encode_name(name, out),
        RecordData::Srv {
            priority,
            weight,
            port,
            target,
        } => {
            out.extend_from_slice(&priority.to_be_bytes());
            out.extend_from_slice(&weight.to_be_bytes());
            out.extend_from_slice(&port.to_be_bytes());
            encode_name(target, out);
        }
        RecordData::Txt(strings) => {
            for s in strings {
                let len = u8::try_from(s.len()).map_err(|_| WireError::BadRecord("TXT"))?;
                out.push(len);
                out.extend_from_slice(s);
            }
            // A TXT record holds at least one string, if empty.
            if strings.is_empty() {
                out.push(0);
            }
        }
        RecordData::Other { data, .. } => out.extend_from_slice(data),
    }
    let len = u16::try_from(out.len() - len_at - 2).map_err(|_| WireError::BadRecord("long"))?;
    out[len_at..len_at + 2].copy_from_slice(&len.to_be_bytes());
    Ok(())
}

struct Reader<'a> {
    packet: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn bytes(&mut self, n: usize, what: &'static str) -> Result<&[u8], WireError> {
        let end = self.pos.checked_add(n).ok_or(WireError::Truncated(what))?;
        let slice = self
            .packet
            .get(self.pos..end)
            .ok_or(WireError::Truncated(what))?;
        self.pos = end;
        Ok(slice)
    }

    fn u16(&mut self, what: &'static str) -> Result<u16, WireError> {
        let b = self.bytes(2, what)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, WireError> {
        let b = self.bytes(4, what)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// Reads a name at the current position, following compression pointers, and leaves the
    /// position after the name's bytes at that position.
    fn name(&mut self) -> Result<Name, WireError> {
        let mut labels = Vec::new();
        let mut wire_len = 1;
        let mut at = self.pos;
        // Where reading resumes: set at the first pointer, since the rest lies elsewhere.
        let mut resume = None;
        let mut pointers = 0;
        loop {
            let len = *self.packet.get(at).ok_or(WireError::Truncated("a name"))? as usize;
            match len & 0xC0 {
                0x00 if len == 0 => {
                    self.pos = resume.unwrap_or(at + 1);
                    return Ok(Name { labels });
                }
                0x00 => {
                    let label = self
                        .packet
                        .get(at + 1..at + 1 + len)
                        .ok_or(WireError::Truncated("a name"))?;
                    wire_len += len + 1;
                    if wire_len > MAX_NAME_LEN {
                        return Err(WireError::BadName("longer than 255 bytes"));
                    }
                    labels.push(label.to_vec());
                    at += 1 + len;
                }
                0xC0 => {
                    let low = *self
                        .packet
                        .get(at + 1)
                        .ok_or(WireError::Truncated("a name"))?
                        as usize;
                    let target = ((len & 0x3F) << 8) | low;
                    // Pointers go strictly backwards, which rules out loops; the count is a
                    // second guard.
                    pointers += 1;
                    if target >= at || pointers > MAX_POINTERS {
                        return Err(WireError::BadName("compression pointer loop"));
                    }
                    resume.get_or_insert(at + 2);
                    at = target;
                }
                _ => return Err(WireError::BadName("unknown label type")),
            }
        }
    }

    fn record(&mut self) -> Result<Record, WireError> {
        let name = self.name()?;
        let rtype = self.u16("a record")?;
        let class = self.u16("a record")?;
        let ttl = self.u32("a record")?;
        let len = self.u16("a record")? as usize;
        let start = self.pos;
        let end = start + len;
        if end > self.packet.len() {
            return Err(WireError::Truncated("record data"));
        }
        let data = match rtype {
            TYPE_A => {
                let b: [u8; 4] = self.packet[start..end]
                    .try_into()
                    .map_err(|_| WireError::BadRecord("A"))?;
                RecordData::A(Ipv4Addr::from(b))
            }
            TYPE_AAAA => {
                let b: [u8; 16] = self.packet[start..end]
                    .try_into()
                    .map_err(|_| WireError::BadRecord("AAAA"))?;
                RecordData::Aaaa(Ipv6Addr::from(b))
            }
            TYPE_PTR => RecordData::Ptr(self.name_within(end, "PTR")?),
            TYPE_SRV => {
                let head = self.bytes(6, "an SRV record")?;
                let (priority, weight, port) = (
                    u16::from_be_bytes([head[0], head[1]]),
                    u16::from_be_bytes([head[2], head[3]]),
                    u16::from_be_bytes([head[4], head[5]]),
                );
                if self.pos > end {
                    return Err(WireError::BadRecord("SRV"));
                }
                RecordData::Srv {
                    priority,
                    weight,
                    port,
                    target: self.name_within(end, "SRV")?,
                }
            }
            TYPE_TXT => {
                let mut strings = Vec::new();
                let mut at = start;
                while at < end {
                    let n = self.packet[at] as usize;
                    let s = self
                        .packet
                        .get(at + 1..at + 1 + n)
                        .filter(|_| at + 1 + n <= end)
                        .ok_or(WireError::BadRecord("TXT"))?;
                    strings.push(s.to_vec());
                    at += 1 + n;
                }
                RecordData::Txt(strings)
            }
            other => RecordData::Other {
                rtype: other,
                data: self.packet[start..end].to_vec(),
            },
        };
        self.pos = end;
        Ok(Record {
            name,
            class: class & !CLASS_TOP_BIT,
            cache_flush: class & CLASS_TOP_BIT != 0,
            ttl,
            data,
        })
    }

    /// A name that must end within the record data ending at `end`.
    fn name_within(&mut self, end: usize, what: &'static str) -> Result<Name, WireError> {
        let name = self.name()?;
        if self.pos != end {
            return Err(WireError::BadRecord(what));
        }
        Ok(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn name(dotted: &str) -> Name {
        Name::parse(dotted).unwrap()
    }

    fn sample() -> Message {
        let service = name("_belfry._tcp.local");
        let instance = service.prepend("node-a").unwrap();
        Message {
            id: 0x1234,
            flags: FLAG_RESPONSE | FLAG_AUTHORITATIVE,
            questions: vec![Question {
                name: service.clone(),
                qtype: TYPE_PTR,
                qclass: CLASS_IN,
                unicast_response: true,
            }],
            answers: vec![Record {
                name: service,
                class: CLASS_IN,
                cache_flush: false,
                ttl: 10,
                data: RecordData::Ptr(instance.clone()),
            }],
            authorities: vec![],
            additionals: vec![
                Record {
                    name: instance.clone(),
                    class: CLASS_IN,
                    cache_flush: true,
                    ttl: 120,
                    data: RecordData::Srv {
                        priority: 0,
                        weight: 0,
                        port: 8946,
                        target: name("node-a.local"),
                    },
                },
                Record {
                    name: instance,
                    class: CLASS_IN,
                    cache_flush: true,
                    ttl: 120,
                    data: RecordData::Txt(vec![b"name=node-a".to_vec(), b"role=server".to_vec()]),
                },
                Record {
                    name: name("node-a.local"),
                    class: CLASS_IN,
                    cache_flush: true,
                    ttl: 120,
                    data: RecordData::A(Ipv4Addr::new(10, 0, 0, 1)),
                },
                Record {
                    name: name("node-a.local"),
                    class: CLASS_IN,
                    cache_flush: false,
                    ttl: 120,
                    data: RecordData::Aaaa("fe80::1".parse().unwrap()),
                },
                Record {
                    name: name("node-a.local"),
                    class: CLASS_IN,
                    cache_flush: false,
                    ttl: 120,
                    data: RecordData::Other {
                        rtype: 47,
                        data: vec![1, 2, 3],
                    },
                },
            ],
        }
    }

    #[test]
    fn a_message_round_trips() {
        let m = sample();
        let packet = m.encode().unwrap();
        assert_eq!(Message::decode(&packet).unwrap(), m);
    }

    #[test]
    fn every_truncation_is_an_error() {
        let packet = sample().encode().unwrap();
        for len in 0..packet.len() {
            assert!(Message::decode(&packet[..len]).is_err(), "prefix of {len}");
        }
    }

    #[test]
    fn compressed_names_are_followed() {
        // One question `_belfry._tcp.local` and one PTR answer whose owner points at it and
        // whose target is `node-a` + a pointer to it.
        let mut p = vec![0, 0, 0x84, 0, 0, 1, 0, 1, 0, 0, 0, 0];
        p.extend_from_slice(b"\x07_belfry\x04_tcp\x05local\x00");
        p.extend_from_slice(&[0, 12, 0, 1]);
        p.extend_from_slice(&[0xC0, 12, 0, 12, 0, 1, 0, 0, 0, 10, 0, 9]);
        p.extend_from_slice(b"\x06node-a\xC0\x0C");
        let m = Message::decode(&p).unwrap();
        assert_eq!(m.answers[0].name, name("_belfry._tcp.local"));
        assert_eq!(
            m.answers[0].data,
            RecordData::Ptr(name("node-a._belfry._tcp.local"))
        );
    }

    #[test]
    fn malformed_names_are_errors() {
        let header = [0u8, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        for name_bytes in [
            // A pointer to itself, and one forwards.
            &[0xC0, 12][..],
            &[0xC0, 14, 0, 0],
            // Two pointers to each other.
            &[1, b'a', 0xC0, 16, 0xC0, 12],
            // Reserved label types.
            &[0x40, 0],
            &[0x80, 0],
            // A label running past the end.
            &[9, b'a'],
        ] {
            let mut p = header.to_vec();
            p.extend_from_slice(name_bytes);
            p.extend_from_slice(&[0, 12, 0, 1]);
            assert!(Message::decode(&p).is_err(), "{name_bytes:?}");
        }
        // 300 bytes of labels in one name.
        let mut p = header.to_vec();
        for _ in 0..60 {
            p.extend_from_slice(b"\x04abcd");
        }
        p.extend_from_slice(&[0, 0, 12, 0, 1]);
        assert_eq!(
            Message::decode(&p),
            Err(WireError::BadName("longer than 255 bytes"))
        );
    }

    #[test]
    fn malformed_records_are_errors() {
        let record = |rtype: u16, data: &[u8]| {
            let mut p = vec![0u8, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0];
            p.extend_from_slice(b"\x01a\x00");
            p.extend_from_slice(&rtype.to_be_bytes());
            p.extend_from_slice(&[0, 1, 0, 0, 0, 10]);
            p.extend_from_slice(&(data.len() as u16).to_be_bytes());
            p.extend_from_slice(data);
            p
        };
        for (rtype, data) in [
            (TYPE_A, &[1u8, 2, 3][..]),
            (TYPE_AAAA, &[0; 4]),
            (TYPE_SRV, &[0, 0, 0]),
            // SRV whose target runs past its data length.
            (TYPE_SRV, &[0, 0, 0, 0, 0, 1, 1, b'x']),
            (TYPE_TXT, &[5, b'a']),
            (TYPE_PTR, &[]),
        ] {
            assert!(Message::decode(&record(rtype, data)).is_err(), "{rtype}");
        }
        // An A record claiming more data than the packet has.
        let mut p = record(TYPE_A, &[1, 2, 3, 4]);
        p.truncate(p.len() - 1);
        assert!(Message::decode(&p).is_err());
    }

    #[test]
    fn names_compare_without_case_and_know_their_children() {
        let service = name("_Belfry._TCP.local.");
        assert_eq!(service, name("_belfry._tcp.local"));
        assert!(name("x._belfry._tcp.LOCAL").is_child_of(&service));
        assert!(!name("x.y._belfry._tcp.local").is_child_of(&service));
        assert!(!name("_belfry._tcp.local").is_child_of(&service));
        assert_eq!(service.to_string(), "_Belfry._TCP.local.");
        assert!(Name::parse("a..b").is_none());
        assert!(Name::parse(&"a".repeat(64)).is_none());
        assert!(Name::from_labels(vec!["abcd"; 60]).is_none());
    }

    proptest! {
        #[test]
        fn garbage_never_panics(packet in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = Message::decode(&packet);
        }

        #[test]
        fn corrupted_packets_never_panic(at in 0usize..400, byte in any::<u8>()) {
            let mut packet = sample().encode().unwrap();
            let at = at % packet.len();
            packet[at] = byte;
            if let Ok(m) = Message::decode(&packet) {
                // Whatever decodes also encodes again.
                let _ = m.encode();
            }
        }
    }
}
