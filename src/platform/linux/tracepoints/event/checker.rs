//! A format file checked against what the decoder reads: every field the
//! layout needs, at a size and signedness it can take, inside the record.

use super::*;

pub(super) struct Checker<'a> {
    pub(super) format: &'a Format,
    pub(super) event: &'static str,
}

impl Checker<'_> {
    pub(super) fn err(&self, field: &'static str, problem: &'static str) -> LayoutError {
        LayoutError {
            event: self.event,
            field,
            problem,
        }
    }

    fn desc(&self, name: &'static str) -> Option<&FieldDesc> {
        self.format.field(name)
    }

    /// The field `name` as a `T`, when present; its size (and array length
    /// for a `[u8; N]`) must be `T`'s.
    fn optional<T: Scalar>(
        &self,
        name: &'static str,
        array: bool,
    ) -> Result<Option<Field<T>>, LayoutError> {
        let Some(d) = self.desc(name) else {
            return Ok(None);
        };
        if d.size as usize != T::SIZE {
            return Err(self.err(name, "has an unexpected size"));
        }
        if array && d.array_len != Some(d.size) {
            return Err(self.err(name, "is not a byte array of its size"));
        }
        if !array && d.array_len.is_some() {
            return Err(self.err(name, "is an array, a scalar was expected"));
        }
        if d.offset as usize + T::SIZE > MAX_RAW {
            return Err(self.err(name, "lies past the largest possible record"));
        }
        Ok(Some(Field::at(d.offset as usize)))
    }

    fn required<T: Scalar>(
        &self,
        name: &'static str,
        array: bool,
    ) -> Result<Field<T>, LayoutError> {
        self.optional(name, array)?
            .ok_or_else(|| self.err(name, "is missing"))
    }

    pub(super) fn addrs(&self) -> Result<AddrLayout, LayoutError> {
        let sockaddr = self
            .desc("saddr")
            .is_some_and(|d| d.size as usize == SOCKADDR_LEN);
        if sockaddr {
            return Ok(AddrLayout::Sockaddr {
                saddr: self.required("saddr", true)?,
                daddr: self.required("daddr", true)?,
            });
        }
        if self.desc("sport").is_none() {
            return Err(self.err(
                "",
                "has neither saddr[28] nor sport/dport/family/saddr/daddr",
            ));
        }
        Ok(AddrLayout::Split {
            sport: self.required("sport", false)?,
            dport: self.required("dport", false)?,
            family: self.required("family", false)?,
            saddr: self.required("saddr", true)?,
            daddr: self.required("daddr", true)?,
            saddr_v6: self.required("saddr_v6", true)?,
            daddr_v6: self.required("daddr_v6", true)?,
        })
    }

    pub(super) fn layout(&self, direction: Direction) -> Result<Layout, LayoutError> {
        if self.format.name != self.event {
            return Err(self.err("", "the format is another event's"));
        }
        let id = u16::try_from(self.format.id)
            .map_err(|_| self.err("", "its ID does not fit common_type"))?;
        let common_type: Field<u16> = self.required("common_type", false)?;
        if common_type.offset() != 0 {
            return Err(self.err("common_type", "is not at offset 0"));
        }
        let state = self.optional::<i32>("state", false)?;
        let reason = self.optional::<u32>("reason", false)?;
        let cookie = self.optional::<u64>("sock_cookie", false)?;
        let addrs = self.addrs()?;
        let ends = match addrs {
            AddrLayout::Sockaddr { saddr, daddr } => [saddr.end(), daddr.end(), 0, 0, 0, 0, 0],
            AddrLayout::Split {
                sport,
                dport,
                family,
                saddr,
                daddr,
                saddr_v6,
                daddr_v6,
            } => [
                sport.end(),
                dport.end(),
                family.end(),
                saddr.end(),
                daddr.end(),
                saddr_v6.end(),
                daddr_v6.end(),
            ],
        };
        let min_len = ends
            .into_iter()
            .chain([
                common_type.end(),
                state.map_or(0, Field::end),
                reason.map_or(0, Field::end),
                cookie.map_or(0, Field::end),
            ])
            .max()
            .unwrap_or(0);
        Ok(Layout {
            id,
            direction,
            common_type,
            state,
            reason,
            cookie,
            addrs,
            min_len,
        })
    }
}
