// NTLMSSP messages (MS-NLMP §2.2.1) in their original NT 4.0-era layout: no Version field and
// no MIC, so a NEGOTIATE is 32 octets + strings, a CHALLENGE 40 octets without target info,
// an AUTHENTICATE 64 octets + payload. They fill the auth_value of the KB159298 rebuilds,
// whose sequence numbers fix the message sizes.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "support/bytes.hpp"

namespace rpctrace::testsupport {

// NegotiateFlags, MS-NLMP §2.2.2.5.
inline constexpr std::uint32_t kNtlmNegotiateUnicode = 0x00000001;
inline constexpr std::uint32_t kNtlmNegotiateOem = 0x00000002;
inline constexpr std::uint32_t kNtlmRequestTarget = 0x00000004;
inline constexpr std::uint32_t kNtlmNegotiateSign = 0x00000010;
inline constexpr std::uint32_t kNtlmNegotiateNtlm = 0x00000200;
inline constexpr std::uint32_t kNtlmOemDomainSupplied = 0x00001000;
inline constexpr std::uint32_t kNtlmOemWorkstationSupplied = 0x00002000;
inline constexpr std::uint32_t kNtlmNegotiateAlwaysSign = 0x00008000;
inline constexpr std::uint32_t kNtlmTargetTypeDomain = 0x00010000;

// NEGOTIATE_MESSAGE: 32 octets + domain + workstation (OEM, no terminator).
Bytes ntlmssp_negotiate(std::uint32_t flags, std::string_view domain, std::string_view workstation);
// CHALLENGE_MESSAGE without TargetInfo: 40 octets + target name (UTF-16LE).
Bytes ntlmssp_challenge(std::uint32_t flags, std::array<std::uint8_t, 8> server_challenge,
                        std::string_view target_name = {});
// AUTHENTICATE_MESSAGE: 64 octets + domain, user, workstation (UTF-16LE), LM and NT
// responses, encrypted session key.
Bytes ntlmssp_authenticate(std::uint32_t flags, std::span<const std::byte> lm_response,
                           std::span<const std::byte> nt_response, std::string_view domain,
                           std::string_view user, std::string_view workstation,
                           std::span<const std::byte> session_key = {});
// NTLMSSP_MESSAGE_SIGNATURE (§2.2.2.9.1): Version 1, RandomPad, Checksum, SeqNum; 16 octets.
Bytes ntlmssp_signature(std::uint32_t seq_num, std::uint32_t checksum = 0);

}  // namespace rpctrace::testsupport
