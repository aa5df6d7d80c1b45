//! The bank's products (the `product-code` classification): which kind of account each
//! is for and what the customer calls it. An amendment moves an account to another
//! product of its own kind only.

use super::account::ArrangementKind;

/// One product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Product {
    /// The `product-code` literal.
    pub code: &'static str,
    /// The kind of account it is sold as.
    pub kind: ArrangementKind,
    /// Its name as the customer sees it.
    pub name: &'static str,
}

const fn product(code: &'static str, kind: ArrangementKind, name: &'static str) -> Product {
    Product { code, kind, name }
}

/// Every product, in the classification's order.
pub const PRODUCTS: [Product; 13] = {
    use ArrangementKind::*;
    [
        product("MasterCard", CardAccount, "MasterCard credit-limit account"),
        product("Visa", CardAccount, "Visa credit-limit account"),
        product("Maestro", CardAccount, "Maestro debit card account"),
        product("current-standard", CurrentAccount, "Current account"),
        product("current-plus", CurrentAccount, "Current account plus"),
        product("bundle-gold", BundledAccount, "Gold package account"),
        product(
            "deposit-12-months",
            DepositAccount,
            "Term deposit, 12 months",
        ),
        product("consumer-loan", Loan, "Consumer loan"),
        product("overdraft-facility", CreditFacility, "Overdraft facility"),
        product("bundle-silver", BundledAccount, "Silver package account"),
        product(
            "deposit-24-months",
            DepositAccount,
            "Term deposit, 24 months",
        ),
        product("consumer-loan-fixed", Loan, "Consumer loan, fixed rate"),
        product(
            "overdraft-facility-plus",
            CreditFacility,
            "Overdraft facility plus",
        ),
    ]
};

/// The product of `code`, if the bank sells it.
pub fn by_code(code: &str) -> Option<&'static Product> {
    PRODUCTS.iter().find(|p| p.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::classification::literals;

    #[test]
    fn the_catalogue_and_the_standing_order_products_are_the_product_code_classification() {
        let codes: Vec<&str> = PRODUCTS
            .iter()
            .map(|p| p.code)
            .chain(crate::domain::standing_order::PRODUCTS.map(|(code, _)| code))
            .collect();
        assert_eq!(literals("product-code").collect::<Vec<_>>(), codes);
    }

    #[test]
    fn every_kind_but_card_accounts_has_two_products_to_move_between() {
        for kind in ArrangementKind::ALL {
            let count = PRODUCTS.iter().filter(|p| p.kind == kind).count();
            assert!(count >= 2, "{kind:?} has {count}");
        }
    }
}
