// ParseResult<T, Reason>: what every parser returns.
//
// Exactly one of: complete (the value and the bytes consumed), need_more (at least how many
// bytes in total are needed; only the framer returns this), or malformed (a reason from the
// layer's closed enum, the offset where it was found, and a short detail naming the field and
// the value). On anything but complete, nothing is consumed and no output is touched.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <variant>

namespace rpctrace::common {

template <typename Reason>
struct Malformed {
  Reason reason{};
  std::size_t offset = 0;
  std::string detail;  // "frag_length 12 < 16 (common header)"
};

struct NeedMore {
  std::size_t total = 0;  // at least this many bytes in total
};

template <typename T, typename Reason>
class [[nodiscard]] ParseResult {
 public:
  static ParseResult complete(T value, std::size_t consumed) {
    return ParseResult(Done{std::move(value), consumed});
  }
  static ParseResult need_more(std::size_t total) { return ParseResult(NeedMore{total}); }
  static ParseResult malformed(Reason reason, std::size_t offset, std::string detail = {}) {
    return ParseResult(Malformed<Reason>{reason, offset, std::move(detail)});
  }
  static ParseResult from(Malformed<Reason> m) { return ParseResult(std::move(m)); }

  [[nodiscard]] bool is_complete() const { return std::holds_alternative<Done>(v_); }
  [[nodiscard]] bool is_need_more() const { return std::holds_alternative<NeedMore>(v_); }
  [[nodiscard]] bool is_malformed() const { return std::holds_alternative<Malformed<Reason>>(v_); }

  [[nodiscard]] const T& value() const { return std::get<Done>(v_).value; }
  [[nodiscard]] T& value() { return std::get<Done>(v_).value; }
  [[nodiscard]] T take() { return std::move(std::get<Done>(v_).value); }
  [[nodiscard]] std::size_t consumed() const { return std::get<Done>(v_).consumed; }
  [[nodiscard]] std::size_t needed() const { return std::get<NeedMore>(v_).total; }
  [[nodiscard]] const Malformed<Reason>& error() const { return std::get<Malformed<Reason>>(v_); }

 private:
  struct Done {
    T value;
    std::size_t consumed;
  };
  explicit ParseResult(Done d) : v_(std::move(d)) {}
  explicit ParseResult(NeedMore n) : v_(n) {}
  explicit ParseResult(Malformed<Reason> m) : v_(std::move(m)) {}
  std::variant<Done, NeedMore, Malformed<Reason>> v_;
};

}  // namespace rpctrace::common
