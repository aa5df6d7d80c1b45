//! The demo's customers, accounts and cards: the order guide's arrangement
//! `0064200001930` (a MasterCard credit-limit account of Branislav Vukovic, on which Mileva
//! Grujic already holds an additional card, so the guide's issuance for 1400054 works), and
//! cards in every state for customer 1400269 so each order resource can be tried at once.

use chrono::{Datelike, Months, NaiveDate, TimeZone, Utc};

use super::GUIDE_ARRANGEMENT;
use crate::domain::CustomerNumber;
use crate::domain::account::{
    Account, ArrangementKind, ArrangementStatus, CurrencyCode, Mandate, MandateStatus, Money,
};
use crate::domain::card::{Card, CardStatus, Customer, mask};
use crate::domain::deposit::DepositTerms;
use crate::domain::identifier::{ArrangementNumber, CardId, MandateNumber};
use crate::domain::kinds::StandingOrderSetup;
use crate::domain::standing_order::{Frequency, Terms};

fn number(raw: &str) -> CustomerNumber {
    CustomerNumber::parse("customer-number", raw)
        .unwrap_or_else(|e| panic!("demo customer {raw}: {}", e.message))
}

fn arrangement_number(raw: &str) -> ArrangementNumber {
    ArrangementNumber::parse("arrangement-number", raw)
        .unwrap_or_else(|e| panic!("demo arrangement {raw}: {}", e.message))
}

fn card_id(raw: &str) -> CardId {
    CardId::parse("card-id", raw).unwrap_or_else(|e| panic!("demo card {raw}: {}", e.message))
}

/// The guides' customers.
pub fn customers() -> Vec<Customer> {
    [
        ("1400054", "Ana Petrovic"),
        ("1400269", "Marko Jovanovic"),
        ("MIGR00002", "Mileva Grujic"),
        ("BRVU00002", "Branislav Vukovic"),
    ]
    .into_iter()
    .map(|(n, name)| Customer {
        number: number(n),
        name: name.into(),
    })
    .collect()
}

/// A demo amount in `currency` (a code the demo writes, so a bad one is a bug here).
fn money(currency: &str, minor: i64) -> Money {
    let currency = CurrencyCode::parse("currency-code", currency)
        .unwrap_or_else(|e| panic!("demo currency {currency}: {}", e.message));
    Money { currency, minor }
}

/// The demo's accounts: the card accounts the card orders act on, and for the guides'
/// customers current, bundled, deposit, loan and credit-facility accounts (API.md section
/// 9). Customer 1400269 has two active current accounts; the euro one has nothing on it
/// (no card, no standing order, no linked product), so closing it can be tried at once.
pub fn accounts() -> Vec<Account> {
    use ArrangementKind::*;
    use ArrangementStatus::*;
    let account = |n: &str,
                   kind: ArrangementKind,
                   owner: &str,
                   product: (&str, &str),
                   balance: Money,
                   status: ArrangementStatus,
                   linked: Option<&str>,
                   card_limit: u32| Account {
        number: arrangement_number(n),
        kind,
        owner: number(owner),
        product_code: product.0.into(),
        product_name: product.1.into(),
        balance,
        status,
        linked: linked.map(arrangement_number),
        allows_cards: card_limit > 0,
        card_limit,
        deposit: None,
    };
    let mastercard = ("MasterCard", "MasterCard credit-limit account");
    let current = ("current-standard", "Current account");
    #[rustfmt::skip]
    let mut accounts = vec![
        account(GUIDE_ARRANGEMENT, CardAccount, "BRVU00002", mastercard, money("EUR", -125_040), Active, None, 4),
        account("0064200001948", CardAccount, "1400269", ("Visa", "Visa credit-limit account"), money("EUR", -31_000), Active, None, 8),
        account("0064200001956", CardAccount, "1400054", ("Maestro", "Maestro debit card account"), money("EUR", 0), Active, None, 2),
        account("0064200001964", CardAccount, "1400269", mastercard, money("EUR", 0), Terminated, None, 2),
        account("0064200002014", CurrentAccount, "1400269", current, money("RSD", 18_452_050), Active, None, 0),
        account("0064200002022", CurrentAccount, "1400269", current, money("EUR", 84_312), Active, None, 0),
        account("0064200002030", BundledAccount, "1400269", ("bundle-gold", "Gold package account"), money("RSD", 2_310_000), Active, None, 0),
        account("0064200002048", DepositAccount, "1400269", ("deposit-12-months", "Term deposit, 12 months"), money("RSD", 50_000_000), Active, Some("0064200002014"), 0),
        account("0064200002055", Loan, "1400269", ("consumer-loan", "Consumer loan"), money("RSD", -45_000_000), Active, Some("0064200002014"), 0),
        account("0064200002063", CreditFacility, "1400269", ("overdraft-facility", "Overdraft facility"), money("RSD", -2_000_000), Active, Some("0064200002014"), 0),
        account("0064200002071", CurrentAccount, "1400054", ("current-plus", "Current account plus"), money("RSD", 9_120_000), Active, None, 0),
        account("0064200002089", DepositAccount, "1400054", ("deposit-12-months", "Term deposit, 12 months"), money("EUR", 1_000_000), Active, Some("0064200002071"), 0),
        account("0064200002097", CurrentAccount, "BRVU00002", current, money("RSD", 4_530_000), Active, None, 0),
        account("0064200002105", CurrentAccount, "MIGR00002", current, money("RSD", 1_275_500), Active, None, 0),
    ];
    // The deposits earn interest, so that ending one early has something to pay.
    let terms = |rate_bp, interest_from| DepositTerms {
        rate_bp,
        interest_from,
    };
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
    for account in &mut accounts {
        account.deposit = match account.number.as_str() {
            "0064200002048" => Some(terms(350, day(2026, 3, 1))),
            "0064200002089" => Some(terms(200, day(2026, 6, 1))),
            _ => None,
        };
    }
    accounts
}

/// The demo's mandates: 1400269 lets 1400054 act on its dinar current account (and once
/// let BRVU00002 act on its package account, since revoked); BRVU00002 lets MIGR00002 act
/// on its current account.
pub fn mandates() -> Vec<Mandate> {
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
    let mandate =
        |n: &str, arrangement: &str, grantor: &str, holder: &str, nickname: Option<&str>| Mandate {
            number: MandateNumber::parse("mandate-number", n)
                .unwrap_or_else(|e| panic!("demo mandate {n}: {}", e.message)),
            arrangement: arrangement_number(arrangement),
            grantor: number(grantor),
            holder: number(holder),
            nickname: nickname.map(str::to_owned),
            status: MandateStatus::Active,
            granted_on: day(2024, 3, 1),
            revoked_on: None,
        };
    vec![
        mandate(
            "M0000000301",
            "0064200002014",
            "1400269",
            "1400054",
            Some("Household"),
        ),
        mandate(
            "M0000000302",
            "0064200002097",
            "BRVU00002",
            "MIGR00002",
            None,
        ),
        Mandate {
            status: MandateStatus::Revoked,
            granted_on: day(2023, 1, 10),
            revoked_on: Some(day(2024, 6, 30)),
            ..mandate(
                "M0000000303",
                "0064200002030",
                "1400269",
                "BRVU00002",
                Some("Accountant"),
            )
        },
    ]
}

/// The demo's cards: every state, lost and temporary blockades, an additional card.
pub fn cards() -> Vec<Card> {
    let since = Utc
        .with_ymd_and_hms(2015, 10, 20, 23, 22, 10)
        .single()
        .unwrap_or_default();
    let card = |id: u32,
                arrangement: &str,
                holder: &str,
                owner: &str,
                product: &str,
                status: CardStatus,
                reason: Option<&str>| {
        let bin = match product {
            "Visa" => "4571",
            "Maestro" => "6759",
            _ => "5356",
        };
        Card {
            id: card_id(&format!("C{id:010}")),
            serial_number: format!("SN{id:010}"),
            masked_number: mask(bin, &format!("{:04}", (id * 37) % 10_000)),
            arrangement_number: arrangement_number(arrangement),
            holder: number(holder),
            owner: number(owner),
            product_code: product.into(),
            status,
            blockade_reason: reason.map(str::to_owned),
            expiry_date: NaiveDate::from_ymd_opt(2029, 10, 31).unwrap_or_default(),
            replaces: None,
            replaced_by: None,
            status_date: since,
        }
    };
    use CardStatus::*;
    vec![
        card(
            101,
            GUIDE_ARRANGEMENT,
            "BRVU00002",
            "BRVU00002",
            "MasterCard",
            Active,
            None,
        ),
        card(
            102,
            GUIDE_ARRANGEMENT,
            "MIGR00002",
            "BRVU00002",
            "MasterCard",
            Active,
            None,
        ),
        card(
            201,
            "0064200001948",
            "1400269",
            "1400269",
            "Visa",
            Active,
            None,
        ),
        card(
            202,
            "0064200001948",
            "1400269",
            "1400269",
            "Visa",
            Inactive,
            None,
        ),
        card(
            203,
            "0064200001948",
            "1400269",
            "1400269",
            "Visa",
            Suspended,
            Some("temporary-blockage"),
        ),
        card(
            204,
            "0064200001948",
            "1400269",
            "1400269",
            "Visa",
            Suspended,
            Some("stolen-card"),
        ),
        card(
            205,
            "0064200001948",
            "1400269",
            "1400269",
            "Visa",
            Terminated,
            None,
        ),
        card(
            206,
            "0064200001948",
            "1400269",
            "1400269",
            "Visa",
            Active,
            None,
        ),
        card(
            301,
            "0064200001956",
            "1400054",
            "1400054",
            "Maestro",
            Active,
            None,
        ),
    ]
}

/// The demo's standing order, as customer 1400269 would place it on `today`: 250.00 RSD
/// a month from its dinar current account to 1400054's, from the first of next month
/// for a year. It is placed as an order and set up by the engine like any other.
pub fn standing_order(today: NaiveDate) -> StandingOrderSetup {
    let first = today
        .with_day(1)
        .and_then(|d| d.checked_add_months(Months::new(1)))
        .unwrap_or(today);
    StandingOrderSetup {
        nickname: "Rent".into(),
        terms: Terms {
            product_code: crate::domain::standing_order::PRODUCTS[0].0.into(),
            debtor: arrangement_number("0064200002014"),
            creditor_name: "Ana Petrovic".into(),
            creditor_account: arrangement_number("0064200002071"),
            amount: money("RSD", 25_000),
            reference: Some("Rent".into()),
            start_date: today,
            end_date: first.checked_add_months(Months::new(11)).unwrap_or(first),
            frequency: Frequency::MONTHLY,
            first_payment_date: first,
        },
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn mandates_are_given_by_their_arrangements_owner_to_someone_else() {
        let all = accounts();
        for mandate in mandates() {
            let account = all
                .iter()
                .find(|a| a.number == mandate.arrangement)
                .expect("the mandate's arrangement exists");
            assert_eq!(account.owner, mandate.grantor, "{}", mandate.number);
            assert_ne!(mandate.holder, mandate.grantor, "{}", mandate.number);
            assert_eq!(
                mandate.revoked_on.is_some(),
                mandate.status == MandateStatus::Revoked
            );
        }
    }

    #[test]
    fn the_guide_customer_has_accounts_of_every_kind_and_one_to_close() {
        let all = accounts();
        let theirs: Vec<&Account> = all
            .iter()
            .filter(|a| a.owner.as_str() == "1400269")
            .collect();
        for kind in ArrangementKind::ALL {
            assert!(theirs.iter().any(|a| a.kind == kind), "{kind:?}");
        }
        let current: Vec<&&Account> = theirs
            .iter()
            .filter(|a| a.kind == ArrangementKind::CurrentAccount)
            .filter(|a| a.status == ArrangementStatus::Active)
            .collect();
        assert!(current.len() >= 2, "two active current accounts");
        let carded: HashSet<_> = cards().into_iter().map(|c| c.arrangement_number).collect();
        let linked: HashSet<_> = all.iter().filter_map(|a| a.linked.clone()).collect();
        assert!(
            current
                .iter()
                .any(|a| !carded.contains(&a.number) && !linked.contains(&a.number)),
            "one current account with nothing on it"
        );
        for account in all.iter().filter(|a| a.linked.is_some()) {
            let target = all
                .iter()
                .find(|a| Some(&a.number) == account.linked.as_ref())
                .expect("the linked account exists");
            assert_eq!(target.owner, account.owner, "{}", account.number);
            assert_eq!(target.kind, ArrangementKind::CurrentAccount);
        }
    }

    #[test]
    fn cards_exist_in_every_state_and_belong_to_known_arrangements() {
        let cards = cards();
        let states: HashSet<_> = cards.iter().map(|c| c.status).collect();
        assert_eq!(states.len(), CardStatus::ALL.len());
        let arrangements: HashSet<_> = accounts().into_iter().map(|a| a.number).collect();
        let customers: HashSet<_> = customers().into_iter().map(|c| c.number).collect();
        for card in &cards {
            assert!(
                arrangements.contains(&card.arrangement_number),
                "{}",
                card.id
            );
            assert!(
                customers.contains(&card.holder) && customers.contains(&card.owner),
                "{}",
                card.id
            );
        }
    }
}
