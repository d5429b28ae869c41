// NDR response stubs of the DCOM activation answers (see dcom_builder.hpp).
#include "support/dcom_builder.hpp"

namespace rpctrace::testsupport {

namespace {

void put_text(std::vector<std::uint16_t>& out, const std::string& s) {
  for (char c : s) out.push_back(static_cast<std::uint8_t>(c));  // ASCII test addresses
  out.push_back(0);
}

// A unique pointer's referent, or 0.
void referent(ByteWriter& w, bool present, std::uint32_t id) { w.align(4).u32(present ? id : 0); }

void write_interface_pointer(ByteWriter& w, const Bytes& ab_data,
                             std::optional<std::uint32_t> max_count = std::nullopt) {
  w.align(4).u32(max_count.value_or(static_cast<std::uint32_t>(ab_data.size())));
  w.u32(static_cast<std::uint32_t>(ab_data.size())).bytes(ab_data);
}

// One type serialization version 1 stream: common header (LE), private header, data padded
// to 8.
Bytes type_serialized(const Bytes& ndr, Endian e, std::uint8_t version = 1,
                      std::optional<std::uint32_t> length = std::nullopt) {
  ByteWriter w(e);
  w.u8(version).u8(e == Endian::little ? 0x10 : 0x00).u16_le(8).u32_le(0xcccccccc);
  const std::size_t padded = ndr.size() + padding_for(ndr.size(), 8);
  w.u32(length.value_or(static_cast<std::uint32_t>(padded))).u32(0);
  w.bytes(ndr).zeros(padded - ndr.size());
  return w.take();
}

}  // namespace

std::vector<std::uint16_t> dualstringarray_entries(const DualStringArray& d) {
  std::vector<std::uint16_t> a;
  for (const auto& [tower, address] : d.string_bindings) {
    a.push_back(tower);
    put_text(a, address);
  }
  if (d.nullterm1) a.push_back(0);
  for (const auto& [authn, name] : d.security_bindings) {
    a.push_back(authn);
    a.push_back(0xffff);
    put_text(a, name);
  }
  a.push_back(0);
  return a;
}

void write_dualstringarray(ByteWriter& w, const DualStringArray& d) {
  const auto a = dualstringarray_entries(d);
  std::size_t strings = d.nullterm1 ? 1 : 0;
  for (const auto& [tower, address] : d.string_bindings) strings += 2 + address.size();
  const auto n =
      static_cast<std::uint16_t>(d.num_entries.value_or(static_cast<std::uint16_t>(a.size())));
  w.align(4).u32(d.max_count.value_or(n)).u16(n);
  w.u16(d.security_offset.value_or(static_cast<std::uint16_t>(strings)));
  for (auto u : a) w.u16(u);
}

void write_orpcthat(ByteWriter& w, const OrpcThat& t) {
  w.align(4).u32(t.flags);
  referent(w, t.extensions.has_value(), 0x20000);
  if (!t.extensions) return;
  const auto& ext = *t.extensions;
  const auto size = t.array_size.value_or(static_cast<std::uint32_t>(ext.size()));
  w.u32(size).u32(0);
  referent(w, true, 0x20004);
  const std::uint32_t max_count = t.array_max_count.value_or((size + 1) & ~1u);
  w.u32(max_count);
  for (std::uint32_t i = 0; i < max_count; ++i) w.u32(i < ext.size() ? 0x20008 + 4 * i : 0);
  for (const auto& x : ext) {
    const auto size_x = static_cast<std::uint32_t>(x.data.size());
    const std::uint32_t rounded = (size_x + 7) & ~7u;
    w.align(4).u32(x.max_count.value_or(rounded));
    x.id.write(w);
    w.u32(size_x).bytes(x.data).zeros(rounded - size_x);
  }
}

Bytes build_resolve_oxid_response(const ResolveOxidResponse& r, Endian e) {
  ByteWriter w(e);
  referent(w, r.bindings.has_value(), 0x20000);
  if (r.bindings) write_dualstringarray(w, *r.bindings);
  w.align(4);
  r.ipid_rem_unknown.write(w);
  w.u32(r.authn_hint);
  if (r.resolve_oxid2) w.u16(r.major).u16(r.minor);
  w.u32(r.status);
  return w.take();
}

Bytes build_server_alive2_response(const ServerAlive2Response& r, Endian e) {
  ByteWriter w(e);
  w.u16(r.major).u16(r.minor);
  referent(w, r.bindings.has_value(), 0x20000);
  if (r.bindings) write_dualstringarray(w, *r.bindings);
  w.align(4).u32(0).u32(r.status);
  return w.take();
}

Bytes build_remote_activation_response(const RemoteActivationResponse& r, Endian e) {
  ByteWriter w(e);
  write_orpcthat(w, r.orpcthat);
  w.align(8).u64(r.oxid);
  referent(w, r.bindings.has_value(), 0x20100);
  if (r.bindings) write_dualstringarray(w, *r.bindings);
  w.align(4);
  r.ipid_rem_unknown.write(w);
  w.u32(r.authn_hint).u16(r.major).u16(r.minor).u32(r.hr);
  w.u32(r.interfaces_max_count.value_or(static_cast<std::uint32_t>(r.interface_data.size())));
  std::uint32_t id = 0x20200;
  for (const auto& d : r.interface_data) referent(w, d.has_value(), id += 4);
  for (const auto& d : r.interface_data)
    if (d) write_interface_pointer(w, *d);
  w.align(4).u32(r.results_max_count.value_or(static_cast<std::uint32_t>(r.results.size())));
  for (auto h : r.results) w.u32(h);
  w.u32(r.return_value);
  return w.take();
}

Bytes scm_reply_info_ndr(const ScmReplyInfo& s, Endian e) {
  ByteWriter w(e);
  w.u32(0);  // pdwReserved
  referent(w, s.oxid.has_value(), 0x20000);
  if (!s.oxid) return w.take();
  w.align(8).u64(*s.oxid);
  referent(w, s.bindings.has_value(), 0x20004);
  Uuid::parse("0000cc00-00f0-0b00-0000-226e0773191b").write(w);  // ipidRemUnknown
  w.u32(s.authn_hint).u16(5).u16(7);
  if (s.bindings) write_dualstringarray(w, *s.bindings);
  return w.take();
}

Bytes props_out_info_ndr(const std::vector<std::uint32_t>& hresults, Endian e,
                         std::optional<std::uint32_t> c_ifs) {
  ByteWriter w(e);
  const auto n = static_cast<std::uint32_t>(hresults.size());
  w.u32(c_ifs.value_or(n)).u32(0x20000).u32(0x20004).u32(0x20008);
  w.u32(n);
  for (std::uint32_t i = 0; i < n; ++i)
    Uuid::parse("f309ad18-d86a-11d0-a075-00c04fb68820").write(w);
  w.u32(n);
  for (auto h : hresults) w.u32(h);
  w.u32(n);
  for (std::uint32_t i = 0; i < n; ++i) w.u32(0);  // null interface pointers
  return w.take();
}

Bytes build_activation_properties_out(const ActivationPropertiesOut& p) {
  std::vector<Bytes> blobs;
  for (const auto& prop : p.properties)
    blobs.push_back(
        type_serialized(prop.ndr, prop.endian, prop.version, prop.object_buffer_length));
  // CustomHeader: its size depends on cIfs only, so compute it from a first pass.
  const auto n = static_cast<std::uint32_t>(p.properties.size());
  auto custom_header = [&](std::uint32_t header_size, std::uint32_t total_size) {
    ByteWriter w(p.header_endian);
    w.u32(total_size).u32(header_size).u32(0).u32(2).u32(p.c_ifs.value_or(n));
    kNilUuid.write(w);
    w.u32(0x20000).u32(0x20004).u32(0);
    w.u32(n);
    for (const auto& prop : p.properties) prop.clsid.write(w);
    w.u32(n);
    for (std::size_t i = 0; i < p.properties.size(); ++i)
      w.u32(p.properties[i].size.value_or(static_cast<std::uint32_t>(blobs[i].size())));
    return type_serialized(w.take(), p.header_endian);
  };
  const auto header_size = static_cast<std::uint32_t>(custom_header(0, 0).size());
  std::uint32_t total = header_size;
  for (const auto& b : blobs) total += static_cast<std::uint32_t>(b.size());
  ByteWriter body(Endian::little);
  body.bytes(custom_header(p.header_size.value_or(header_size), total));
  for (const auto& b : blobs) body.bytes(b);
  const Bytes props = body.take();

  ByteWriter w(Endian::little);
  w.u32(p.signature).u32(p.flags);
  Uuid::parse("000001a3-0000-0000-c000-000000000046").write_le(w);  // IID_IActivationPropertiesOut
  p.clsid.write_le(w);
  w.u32(0).u32(static_cast<std::uint32_t>(props.size() + 8));
  w.u32(p.dw_size.value_or(static_cast<std::uint32_t>(props.size()))).u32(0);
  w.bytes(props);
  return w.take();
}

Bytes build_scm_activator_response(const ScmActivatorResponse& r, Endian e) {
  ByteWriter w(e);
  write_orpcthat(w, r.orpcthat);
  referent(w, r.act_properties.has_value(), 0x20000);
  if (r.act_properties) write_interface_pointer(w, *r.act_properties, r.max_count);
  w.align(4).u32(r.return_value);
  return w.take();
}

}  // namespace rpctrace::testsupport
