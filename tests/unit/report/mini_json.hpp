// A strict RFC 8259 reader for tests of the JSON Lines output: parses one JSON text into a
// small value tree, or reports where it is not JSON. Duplicate keys are an error too (the
// writers never emit them). Test code only: recursion depth is bounded by our own output.
#pragma once

#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rpctrace::report::minijson {

struct Value {
  enum class Kind { null, boolean, number, string, array, object } kind = Kind::null;
  bool boolean = false;
  double number = 0;
  std::string text;               // string value, or a number's literal text
  std::vector<Value> items;       // array elements / object values
  std::vector<std::string> keys;  // object keys, in order

  [[nodiscard]] const Value* get(std::string_view key) const {
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (keys[i] == key) return &items[i];
    return nullptr;
  }
  [[nodiscard]] bool has(std::string_view key) const { return get(key) != nullptr; }
  [[nodiscard]] std::string str(std::string_view key) const {
    const Value* v = get(key);
    return v != nullptr && v->kind == Kind::string ? v->text : std::string("<missing>");
  }
  [[nodiscard]] std::uint64_t num(std::string_view key) const {
    const Value* v = get(key);
    return v != nullptr && v->kind == Kind::number ? static_cast<std::uint64_t>(v->number) : ~0ull;
  }
};

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  // The value of the whole text; nullopt (with error()) when it is not exactly one JSON value.
  std::optional<Value> parse() {
    Value v;
    ws();
    if (!value(v)) return std::nullopt;
    ws();
    if (pos_ != s_.size()) return fail("trailing characters");
    return v;
  }
  [[nodiscard]] const std::string& error() const { return error_; }

 private:
  std::nullopt_t fail(const std::string& why) {
    if (error_.empty()) error_ = why + " at " + std::to_string(pos_);
    return std::nullopt;
  }
  bool bad(const std::string& why) {
    fail(why);
    return false;
  }
  void ws() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }
  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return bad("bad literal");
    pos_ += word.size();
    return true;
  }
  bool value(Value& v) {
    if (pos_ >= s_.size()) return bad("end of text");
    char c = s_[pos_];
    if (c == '{') return object(v);
    if (c == '[') return array(v);
    if (c == '"') {
      v.kind = Value::Kind::string;
      return string(v.text);
    }
    if (c == 't') {
      v.kind = Value::Kind::boolean;
      v.boolean = true;
      return literal("true");
    }
    if (c == 'f') {
      v.kind = Value::Kind::boolean;
      return literal("false");
    }
    if (c == 'n') return literal("null");
    return number(v);
  }
  bool digits() {
    std::size_t start = pos_;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    return pos_ > start;
  }
  bool number(Value& v) {
    std::size_t start = pos_;
    if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
    if (pos_ < s_.size() && s_[pos_] == '0') {
      ++pos_;
    } else if (!digits()) {
      return bad("not a value");
    }
    if (pos_ < s_.size() && s_[pos_] == '.' && (++pos_, !digits())) return bad("bad fraction");
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (!digits()) return bad("bad exponent");
    }
    v.kind = Value::Kind::number;
    v.text = std::string(s_.substr(start, pos_ - start));
    v.number = std::stod(v.text);
    return true;
  }
  bool string(std::string& out) {
    ++pos_;  // opening quote
    while (pos_ < s_.size()) {
      char c = s_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return bad("raw control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= s_.size()) break;
      char e = s_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u':
          for (int i = 0; i < 4; ++i, ++pos_)
            if (pos_ >= s_.size() || !std::isxdigit(static_cast<unsigned char>(s_[pos_])))
              return bad("bad \\u escape");
          out += '?';  // the code point itself is not needed by the tests
          break;
        default:
          return bad("bad escape");
      }
    }
    return bad("unterminated string");
  }
  bool array(Value& v) {
    v.kind = Value::Kind::array;
    ++pos_;
    ws();
    if (pos_ < s_.size() && s_[pos_] == ']') return ++pos_, true;
    for (;;) {
      Value item;
      ws();
      if (!value(item)) return false;
      v.items.push_back(std::move(item));
      ws();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == ']') return ++pos_, true;
      return bad("expected , or ]");
    }
  }
  bool object(Value& v) {
    v.kind = Value::Kind::object;
    ++pos_;
    ws();
    if (pos_ < s_.size() && s_[pos_] == '}') return ++pos_, true;
    for (;;) {
      ws();
      std::string key;
      if (pos_ >= s_.size() || s_[pos_] != '"' || !string(key)) return bad("expected a key");
      if (v.has(key)) return bad("duplicate key " + key);
      ws();
      if (pos_ >= s_.size() || s_[pos_] != ':') return bad("expected :");
      ++pos_;
      ws();
      Value item;
      if (!value(item)) return false;
      v.keys.push_back(std::move(key));
      v.items.push_back(std::move(item));
      ws();
      if (pos_ < s_.size() && s_[pos_] == ',') {
        ++pos_;
        continue;
      }
      if (pos_ < s_.size() && s_[pos_] == '}') return ++pos_, true;
      return bad("expected , or }");
    }
  }

  std::string_view s_;
  std::size_t pos_ = 0;
  std::string error_;
};

}  // namespace rpctrace::report::minijson
