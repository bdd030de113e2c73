// Account changes as a CDC connector would publish them from the core system's log: every
// transaction posted as a debit, and incoming money (salaries, transfers, refunds) as credits.
#include <fmt/format.h>

#include <optional>
#include <stdexcept>
#include <unordered_map>

#include "gale/events/generator.h"
#include "json_writer.h"
#include "population.h"
#include "rng.h"

namespace gale::events {

namespace {

constexpr std::uint64_t kCreditStream = 0x6372656469747321ULL;  // "credits!"
constexpr double kCreditShare = 0.15;  // chance of a credit before each debit

std::string debit_description(const Transaction& t) {
  switch (t.channel) {
    case Channel::pos:
      return "Card payment " + t.counterparty;
    case Channel::atm:
      return "ATM withdrawal " + t.counterparty;
    case Channel::counter:
      return "Counter withdrawal " + t.counterparty;
    case Channel::online:
    case Channel::mobile:
      return (t.card.empty() ? "Transfer to " : "Online purchase ") + t.counterparty;
  }
  return {};
}

}  // namespace

struct AccountChangeGenerator::Impl {
  explicit Impl(const GeneratorOptions& o)
      : transactions(o),
        population(make_population(o.seed, o.accounts)),
        rng(o.seed ^ kCreditStream) {
    for (const Account& a : population) balances.push_back(a.opening_balance_minor);
    for (std::size_t i = 0; i < population.size(); ++i) index.emplace(population[i].id, i);
  }

  AccountChange next() {
    if (!pending) {
      pending = transactions.next().transaction;
      if (rng.chance(kCreditShare)) return credit(pending->ts_ms);
    }
    Transaction t = std::move(*pending);
    pending.reset();
    std::size_t i = index.at(t.account);
    return change(i, "debit", t.amount_minor, t.id, debit_description(t), t.ts_ms);
  }

  // Money coming in, at the time of the next debit.
  AccountChange credit(std::int64_t ts) {
    std::size_t i = rng.below(population.size());
    std::uint64_t kind = rng.below(10);
    std::string id = fmt::format("in-{:010}", ++credits);
    if (kind == 0) return change(i, "credit", rng.between(1800'00, 5500'00), id, "Salary", ts);
    if (kind <= 2) {
      const Account& a = population[i];
      return change(i, "credit", rng.between(5'00, 200'00), id, "Refund " + rng.pick(a.merchants),
                    ts);
    }
    return change(i, "credit", rng.between(20'00, 1500'00), id,
                  fmt::format("Transfer from acct-ext-{:06}", rng.between(1, 999'999)), ts);
  }

  AccountChange change(std::size_t i, std::string kind, std::int64_t amount,
                       std::string transaction_id, std::string description, std::int64_t ts) {
    const Account& a = population[i];
    AccountChange c;
    c.event_id = fmt::format("chg-{:010}", ++changes);
    c.account = a.id;
    c.customer = a.customer;
    c.amount_minor = amount;
    c.balance_before_minor = balances[i];
    balances[i] += kind == "credit" ? amount : -amount;
    c.balance_after_minor = balances[i];
    c.kind = std::move(kind);
    c.currency = "EUR";
    c.transaction_id = std::move(transaction_id);
    c.description = std::move(description);
    c.ts_ms = ts;
    return c;
  }

  TransactionGenerator transactions;
  std::vector<Account> population;
  std::unordered_map<std::string, std::size_t> index;
  std::vector<std::int64_t> balances;
  Rng rng;
  std::optional<Transaction> pending;  // drawn, to be posted after a credit
  std::int64_t changes = 0;
  std::int64_t credits = 0;
};

AccountChangeGenerator::AccountChangeGenerator(const GeneratorOptions& options)
    : impl_(std::make_unique<Impl>(options)) {}
AccountChangeGenerator::~AccountChangeGenerator() = default;
AccountChange AccountChangeGenerator::next() {
  return impl_->next();
}

std::vector<CustomerProfile> customer_profiles(const GeneratorOptions& options) {
  if (std::string error = validate(options); !error.empty()) throw std::invalid_argument(error);
  std::vector<CustomerProfile> out;
  for (Account& a : make_population(options.seed, options.accounts))
    out.push_back(std::move(a.profile));
  return out;
}

std::string manifest_line(const ExpectedAlert& alert, const Transaction& t) {
  return ObjectWriter(64).text("rule", alert.rule_id).text("transaction", t.id).done();
}

}  // namespace gale::events
