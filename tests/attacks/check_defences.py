"""
Defence removal: every attack test must fail when the defence it is about is taken out of the contracts.

Copies the project (files tracked by git, and new ones not ignored) to a temporary folder, checks that the
attack files pass there, then
applies one mutation at a time to a `.vy` source, runs the attack files that should catch it and restores the
source. Prints one line per mutation and exits 1 if any mutation survives. Run with `make defences`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LST = "contracts/staking/LiquidStaking.vy"
GOVERNOR = "contracts/staking/StakingGovernor.vy"
SHARE_PRICING = "contracts/staking/share_pricing.vy"
MARKET = "contracts/lending/LendingMarket.vy"
ROUTER = "contracts/leverage/LeverageRouter.vy"
ATTACKS = "tests/attacks/"


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]
    # Further (old, new) edits the mutation needs to compile.
    also: tuple[tuple[str, str], ...] = ()

    def apply(self, source: str) -> str:
        for old, new in ((self.old, self.new), *self.also):
            assert old in source, f"{self.name}: the code to mutate is gone from {self.path}"
            source = source.replace(old, new)
        return source


VALIDATOR = "contracts/staking/SimulatedValidator.vy"
ORACLE = "contracts/lending/ExchangeRateOracle.vy"
FACTORY = "contracts/lending/MarketFactory.vy"
GUARD = "contracts/leverage/LeverageGuard.vy"
LIQUIDATOR = "contracts/leverage/Liquidator.vy"
FACTORY_MARKETS = "contracts/leverage/factory_markets.vy"

# What the carry trigger would be without its time weighting: the borrow APR of the moment against the LST's
# growth since the last checkpoint, annualized (for the mutation below).
INSTANT_CARRY = """@view
@internal
def _instant_carry(market: ILendingMarket, tokens: Tokens) -> bool:
    last: Carry = self.carry[market.address]
    if block.timestamp <= last.time or last.lst_rate == 0:
        return False
    grown: uint256 = staticcall tokens.lst.convertToAssets(ORACLE_SCALE) - last.lst_rate
    staking_apr: uint256 = grown * WAD * 31_536_000 // (last.lst_rate * (block.timestamp - last.time))
    return (staticcall market.market_state())[3] > staking_apr


"""

# The `ready_at` of the request a claim reads, unpacked from its slot.
CLAIMED_READY_AT = "owner_due >> REQUEST_READY_AT & STREAM_TIME_MASK"
# The queue's head as the claim reads it, unpacked from `_ids`.
HEAD = "self._ids << LAST_READY_AT >> ID_LOW"

# Two LST getters dropped where a mutant needs code room (the tests that run on it read neither).
GETTER_LAST_READY_AT = (
    """@view
@external
def last_ready_at() -> uint256:
    \"\"\"
    @notice The latest `ready_at` a request was given.
    \"\"\"
    return self._ids << BELOW_UNBONDING >> TIME_LOW


""",
    "",
)
GETTER_UNBONDING_READY_AT = (
    """@view
@external
def unbonding_ready_at() -> uint256:
    \"\"\"
    @notice The latest `ready_at` the backend gave for unbonding the LST asked for (at most 2^40).
    \"\"\"
    return self._ids << BELOW_COUNT >> UNBONDING_LOW


""",
    "",
)

VIEW_REQUEST_VALUE = (
    """@view
@external
def request_value(request_id: uint256) -> uint256:
    \"\"\"
    @notice X the request pays: its funded amount, or what is set aside plus what the rest is worth now
            (0 once claimed: `UnstakeClaimed` says what it paid).
    \"\"\"
    self._check_not_entered()
    owner_due: uint256 = self._requests[request_id].owner_due
    if request_id < self._ids << LAST_READY_AT >> ID_LOW:
        return self._funded_paid(request_id, owner_due)
    return self._paid_apart(request_id, owner_due) + math._mul_div(
        self._requests[request_id].scaled, self._books().loss_factor, RAY, False
    )


""",
    "",
)

MUTATIONS = (
    # ------------------------------------------------------------ donations, locks, signatures
    Mutation(
        "LST counts its X balance (donations) as assets",
        LST,
        "    pool: uint256 = (funds << BOOKS_HIGH >> BOOKS_HIGH) + accounted\n",
        "    pool: uint256 = staticcall IERC20(asset).balanceOf(self) + accounted\n",
        ("test_donation_to_lst_does_not_move_rate.py", "test_first_depositor_inflation_fails_on_lst.py"),
        # The balance read does not fit the LST's code room: two getters neither test reads make way for it
        # (a mutant past the size limit cannot deploy, and would count as survived).
        also=(GETTER_LAST_READY_AT, GETTER_UNBONDING_READY_AT),
    ),
    Mutation(
        "market counts its X balance (donations) as lender assets",
        MARKET,
        "    supply_assets: uint256 = totals.supply_assets\n",
        "    supply_assets: uint256 = staticcall _X.balanceOf(self) + totals.borrow_assets\n",
        (
            "test_donation_to_market_does_not_move_share_price.py",
            "test_first_depositor_inflation_fails_on_market.py",
        ),
    ),
    Mutation(
        "LST reentrancy lock off",
        LST,
        "    self._check_not_entered()\n    self._lock = True\n",
        "    self._lock = True\n",
        ("test_reentrancy_through_malicious_x_fails.py",),
    ),
    Mutation(
        "router reentrancy lock off",
        ROUTER,
        "# pragma nonreentrancy on\n",
        "\n",
        ("test_reentrancy_through_malicious_x_fails.py",),
        also=(("@reentrant\n", ""),),  # the decorator is only valid under the pragma
    ),
    Mutation(
        "market's in-flash-loan lock off",
        MARKET,
        '    assert not self._in_flash_loan, "market: flash loan in progress"\n',
        "    pass\n",
        ("test_reentrancy_through_flash_borrower_fails.py",),
    ),
    Mutation(
        "authorization nonce not consumed by a signature",
        MARKET,
        "    log SetAuthorization(caller=msg.sender, authorizer=authorizer, authorized=authorized, "
        "is_authorized=is_authorized_)\n    self._increment_nonce(authorizer)\n",
        "    log SetAuthorization(caller=msg.sender, authorizer=authorizer, authorized=authorized, "
        "is_authorized=is_authorized_)\n",
        ("test_replayed_or_foreign_signature_fails.py",),
    ),
    Mutation(
        "EIP-712 domain with another chain id",
        MARKET,
        'keccak256("1"), chain.id, self)',
        'keccak256("1"), chain.id + 1, self)',
        ("test_replayed_or_foreign_signature_fails.py",),
    ),
    Mutation(
        "EIP-712 domain naming another contract",
        MARKET,
        'keccak256("1"), chain.id, self)',
        'keccak256("1"), chain.id, collateral_token)',
        ("test_replayed_or_foreign_signature_fails.py",),
    ),
    Mutation(
        "signer not checked against the authorizer",
        MARKET,
        '    assert signer != empty(address) and signer == authorizer, "market: invalid signature"\n',
        '    assert signer != empty(address), "market: invalid signature"\n',
        ("test_replayed_or_foreign_signature_fails.py",),
    ),
    Mutation(
        "revoking an authorization leaves outstanding signatures alive",
        MARKET,
        "is_authorized=is_authorized_)\n    self._increment_nonce(msg.sender)\n",
        "is_authorized=is_authorized_)\n",
        ("test_revoked_signature_cannot_be_replayed.py",),
    ),
    # ------------------------------------------------------------ liquidation and bad debt
    Mutation(
        "liquidation without the health check",
        MARKET,
        '    assert not self._within(borrower, rate, lltv), "market: position is healthy"\n',
        "",
        (
            "test_slashing_liquidation_keeps_lenders_whole.py",
            "test_flash_loan_cannot_liquidate_healthy_position.py",
        ),
    ),
    Mutation(
        "liquidation decided at the oracle's capped price",
        MARKET,
        "    rate: uint256 = staticcall oracle.rate()\n",
        "    rate: uint256 = staticcall oracle.price()\n",
        ("test_snapshot_reset_cannot_liquidate_healthy_position.py",),
    ),
    Mutation(
        "a snapshot moves the cap's anchor down to the rate",
        ORACLE,
        "    new_anchor: uint256 = self._cap()\n",
        "    new_anchor: uint256 = min(self._rate(), self._cap())\n",
        ("test_snapshot_reset_cannot_liquidate_healthy_position.py",),
    ),
    Mutation(
        "the whole rest of the debt written off after any liquidation",
        MARKET,
        "        if value < dust:\n",
        "        if True:\n",
        ("test_slashing_liquidation_keeps_lenders_whole.py", "test_dust_collateral_cannot_hide_bad_debt.py"),
    ),
    Mutation(
        "write-off only once the collateral is exactly zero (dust hides bad debt)",
        MARKET,
        "        if value < dust:\n",
        "        if position.collateral == 0:\n",
        ("test_dust_collateral_cannot_hide_bad_debt.py",),
    ),
    Mutation(
        "no write-off of a shortfall while collateral remains",
        MARKET,
        "            if value < left:\n",
        "            if False:\n",
        ("test_dust_collateral_cannot_hide_bad_debt.py",),
    ),
    Mutation(
        "mint at a book value of 0 (after a loss of everything) sells shares for nothing",
        LST,
        "    self._check_stakable(assets)\n",
        "",
        ("test_erc4626_max_views_never_revert.py",),
    ),
    Mutation(
        "withdraw capped at maxWithdraw (a lower bound), refusing what the owner's shares pay for",
        LST,
        "within: bool = assets <= self._exit_room(books)",
        "within: bool = assets <= self._max_withdraw(owner, books)",
        ("test_steep_instant_fee_cannot_refuse_a_paying_withdraw.py",),
    ),
    Mutation(
        "withdraw checks the balance only, not the buffer beyond the queue's part",
        LST,
        "within: bool = assets <= self._exit_room(books)",
        "within: bool = True",
        (
            "test_steep_instant_fee_cannot_refuse_a_paying_withdraw.py",
            "test_instant_exits_cannot_starve_the_queue.py",
        ),
    ),
    Mutation(
        "Liquidator keeping the LST gates its withdraw on maxWithdraw, refusing what its quote says pays",
        LIQUIDATOR,
        'assert staticcall lst.previewWithdraw(repaid_assets) <= shares, "liquidator: would lose money"',
        'assert staticcall lst.maxWithdraw(self) >= repaid_assets, "liquidator: would lose money"',
        ("test_steep_instant_fee_cannot_refuse_a_paying_withdraw.py",),
    ),
    Mutation(
        "shortfall written off rounded down, a wei of debt left above the value",
        MARKET,
        "self._to_shares_up(left - value + 1, total_assets, total_shares)",
        "self._to_shares_down(left - value, total_assets, total_shares)",
        ("test_partial_liquidation_cannot_leave_debt_above_value.py",),
    ),
    Mutation(
        "write-off takes more than the shortfall from lenders",
        MARKET,
        "        totals.supply_assets -= bad_assets\n",
        "        totals.supply_assets -= bad_assets + bad_assets // 100\n",
        ("test_slashing_liquidation_keeps_lenders_whole.py",),
    ),
    # ------------------------------------------------------------ callbacks
    Mutation(
        "collateral credited in a supply callback can be withdrawn before it is paid",
        MARKET,
        '    assert on_behalf != self._credited, "market: collateral not paid yet"\n',
        "",
        ("test_supply_callback_is_not_a_free_flash_loan.py",),
    ),
    Mutation(
        "liquidation allowed inside a callback",
        MARKET,
        "    self._check_not_in_flash_loan()\n    self._check_not_in_callback()\n"
        '    assert (seized_assets == 0) != (repaid_shares == 0), "market: give seized or repaid"\n',
        "    self._check_not_in_flash_loan()\n"
        '    assert (seized_assets == 0) != (repaid_shares == 0), "market: give seized or repaid"\n',
        ("test_supply_callback_is_not_a_free_flash_loan.py",),
    ),
    Mutation(
        "a plain supply inside a supply callback pays for it too (one payment credits two positions)",
        MARKET,
        "    self._check_not_in_callback()\n    position: Position = self._position_of(on_behalf)\n",
        "    position: Position = self._position_of(on_behalf)\n",
        ("test_collateral_paid_in_a_callback_is_counted_once.py",),
        # Nested supplies with a callback stay refused, as before the market took payment in the callback.
        also=(
            (
                "    if len(data) != 0:\n        self._in_callback = True\n"
                "        self._credited = on_behalf\n",
                "    if len(data) != 0:\n        self._check_not_in_callback()\n"
                "        self._in_callback = True\n        self._credited = on_behalf\n",
            ),
        ),
    ),
    Mutation(
        "a position's collateral and borrow shares stored unchecked (a part past 128 bits spills over)",
        MARKET,
        "    assert position.collateral <= MAX_UINT128 and position.borrow_shares <= MAX_UINT128, "
        '"market: amount too large"\n',
        "",
        ("test_amounts_beyond_128_bits_cannot_wrap.py",),
    ),
    Mutation(
        "total borrow shares stored unchecked (past 128 bits they lose their high bits)",
        MARKET,
        '    assert side.shares <= MAX_UINT128, "market: amount too large"\n',
        "",
        ("test_amounts_beyond_128_bits_cannot_wrap.py",),
    ),
    Mutation(
        "a burn of borrow shares takes their value rounded up off the total borrow assets (Morpho's rule)",
        MARKET,
        "    return min(self._to_assets_down(burnt, total_assets, total_shares), total_assets)\n",
        "    return min(self._to_assets_up(burnt, total_assets, total_shares), total_assets)\n",
        ("test_borrow_share_price_cannot_be_inflated_into_a_cap.py",),
    ),
    # ------------------------------------------------------------ interest and the rate model
    Mutation(
        "interest rounds each accrual down (no remainder carried)",
        MARKET,
        "    interest += remainder // ORACLE_SCALE\n",
        "",
        ("test_interest_never_rounds_toward_borrowers.py",),
    ),
    Mutation(
        "long idle periods compound to the second order only",
        MARKET,
        "    return convert(math._wad_exp(convert(exponent // WAD, int256)), uint256) * WAD - "
        "ORACLE_SCALE + WAD\n",
        "    return exponent + exponent * exponent // (2 * ORACLE_SCALE)\n",
        ("test_interest_never_rounds_toward_borrowers.py",),
    ),
    Mutation(
        "the market trusts the rate model (a revert blocks everything)",
        MARKET,
        "        is_static_call=True,\n        revert_on_failure=False,\n",
        "        is_static_call=True,\n        revert_on_failure=True,\n",
        ("test_hostile_rate_model_cannot_freeze_or_seize.py",),
        also=(
            (
                '    success: bool = False\n    response: Bytes[32] = b""\n    success, response = raw_call(',
                "    success: bool = True\n    response: Bytes[32] = raw_call(",
            ),
        ),
    ),
    Mutation(
        "the market applies any rate the model answers",
        MARKET,
        "    return min(convert(response, uint256), MAX_BORROW_APR), True\n",
        "    return convert(response, uint256), True\n",
        ("test_hostile_rate_model_cannot_freeze_or_seize.py",),
    ),
    Mutation(
        "the factory lists markets with any rate model",
        FACTORY,
        '    assert self.is_irm_enabled[irm.address], "factory: irm not enabled"\n',
        "",
        ("test_hostile_rate_model_cannot_freeze_or_seize.py",),
    ),
    Mutation(
        "the factory lists markets with any oracle",
        FACTORY,
        "    assert self.is_oracle_enabled[oracle.address][collateral.address], "
        '"factory: oracle not enabled"\n',
        "",
        ("test_hostile_rate_model_cannot_freeze_or_seize.py",),
    ),
    Mutation(
        "lender vault's maxDeposit / maxMint overflow instead of saturating",
        MARKET,
        # Both of `_max_deposit`'s products: since supply assets are stored in 128 bits, the test reaches the
        # overflow through a share worth many units (years of interest), not through a huge supply cap.
        "    if y > d and x > math._mul_div(MAX_UINT, d, y, False):\n        return MAX_UINT\n",
        "",
        ("test_erc4626_max_views_never_revert.py",),
    ),
    # ------------------------------------------------------------ LST rewards, losses, fees, queue
    Mutation(
        "rewards counted at once instead of streamed",
        LST,
        "    end: uint256 = block.timestamp + max(cycle, spent)\n",
        "    end: uint256 = block.timestamp\n",
        ("test_reward_sync_sandwich_does_not_pay.py",),
    ),
    Mutation(
        "a late sync streams its backlog over one reward cycle",
        LST,
        "    end: uint256 = block.timestamp + max(cycle, spent)\n",
        "    end: uint256 = block.timestamp + cycle\n",
        ("test_backlog_after_lagged_sync_cannot_be_captured.py",),
    ),
    Mutation(
        "LST withdraw rounds the shares burnt down",
        LST,
        "        shares = self._to_shares(assets + fee, books.total_assets, True)\n",
        "        shares = self._to_shares(assets + fee, books.total_assets, False)\n",
        ("test_rounding_dust_cannot_be_extracted.py",),
    ),
    Mutation(
        "one virtual share and asset (an empty LST can be inflated with fees)",
        SHARE_PRICING,
        "VIRTUAL_SHARES: constant(uint256) = 10**6\nVIRTUAL_ASSETS: constant(uint256) = 10**6\n",
        "VIRTUAL_SHARES: constant(uint256) = 1\nVIRTUAL_ASSETS: constant(uint256) = 1\n",
        ("test_fee_inflation_of_empty_lst_cannot_rob_depositors.py",),
    ),
    Mutation(
        "a parameter change written over the packed slot without clearing the old value",
        LST,
        "    self._parameters = self._parameters & ~(PARAM_MASK << offset) | new_value << offset\n",
        "    self._parameters = self._parameters | new_value << offset\n",
        ("test_a_parameter_change_cannot_move_another_parameter.py",),
    ),
    Mutation(
        "packed parameters 16 bits wide (the longest reward cycle, 22 bits, no longer fits its part)",
        LST,
        "PARAM_BITS: constant(uint256) = 32\nPARAM_MASK: constant(uint256) = 2**32 - 1\n",
        "PARAM_BITS: constant(uint256) = 16\nPARAM_MASK: constant(uint256) = 2**16 - 1\n",
        ("test_a_parameter_change_cannot_move_another_parameter.py",),
    ),
    Mutation(
        "a sync counts a gain past the books' room (2^128 - 1 with the buffer; its sync reverts for good)",
        LST,
        "    gain: uint256 = min(owed, self._room())\n",
        "    gain: uint256 = owed\n",
        (
            "test_a_huge_gain_cannot_overflow_the_packed_stream.py",
            "test_a_deposit_past_128_bits_cannot_corrupt_the_packed_books.py",
        ),
    ),
    Mutation(
        "a loss into the stream rewrites the packed slot without its end",
        LST,
        "        kept_end: uint256 = self._stream >> STREAM_END << STREAM_END\n",
        "        kept_end: uint256 = 0\n",
        ("test_a_huge_gain_cannot_overflow_the_packed_stream.py",),
    ),
    Mutation(
        "a sync packs a stream's end past 40 bits (its high bits dropped: the gain unlocks at once)",
        LST,
        '    assert end <= STREAM_TIME_MASK, "lst: stream end out of range"\n',
        "",
        ("test_a_claim_or_a_late_clock_cannot_corrupt_a_packed_request.py",),
    ),
    Mutation(
        "a filing packs a ready_at past 40 bits (its high bits dropped: due at once)",
        LST,
        '    assert ready_at <= STREAM_TIME_MASK, "lst: ready_at out of range"\n',
        "",
        ("test_a_claim_or_a_late_clock_cannot_corrupt_a_packed_request.py",),
    ),
    Mutation(
        "a slash rewrites the loss factor over the funded requests' reserve (its half of the slot)",
        LST,
        "    self._factor_reserve = self._factor_reserve >> BOOKS_HIGH << BOOKS_HIGH | books.loss_factor\n",
        "    self._factor_reserve = books.loss_factor\n",
        ("test_a_slash_or_a_fresh_factor_cannot_wipe_the_funded_reserve.py",),
    ),
    Mutation(
        "a filing that starts the loss factor over wipes the funded requests' reserve",
        LST,
        "        self._factor_reserve = self._factor_reserve >> BOOKS_HIGH << BOOKS_HIGH | RAY\n",
        "        self._factor_reserve = RAY\n",
        ("test_a_slash_or_a_fresh_factor_cannot_wipe_the_funded_reserve.py",),
    ),
    Mutation(
        "a funding adds to the reserve in the loss factor's half",
        LST,
        "    self._factor_reserve += part << BOOKS_HIGH\n",
        "    self._factor_reserve += part\n",
        ("test_a_slash_or_a_fresh_factor_cannot_wipe_the_funded_reserve.py",),
    ),
    Mutation(
        "a claim takes its payment from the loss factor's half",
        LST,
        "    self._factor_reserve -= paid << BOOKS_HIGH\n",
        "    self._factor_reserve -= paid\n",
        ("test_a_slash_or_a_fresh_factor_cannot_wipe_the_funded_reserve.py",),
    ),
    Mutation(
        "the room left for deposits forgets the funded requests' reserve (maxDeposit offers what is refused)",
        LST,
        "    return BOOKS_MAX - (funds << BOOKS_HIGH >> BOOKS_HIGH) - (funds >> BOOKS_HIGH) - reserve\n",
        "    return BOOKS_MAX - (funds << BOOKS_HIGH >> BOOKS_HIGH) - (funds >> BOOKS_HIGH)\n",
        ("test_a_slash_or_a_fresh_factor_cannot_wipe_the_funded_reserve.py",),
    ),
    Mutation(
        "the books' bound forgets the reserve (deposits refill the books: a funding overflows its half)",
        LST,
        "    self._check_half(buffer + accounted + (self._factor_reserve >> BOOKS_HIGH))\n",
        "    self._check_half(buffer + accounted)\n",
        ("test_a_slash_or_a_fresh_factor_cannot_wipe_the_funded_reserve.py",),
    ),
    Mutation(
        "unbonding that matures past 2^40 is packed unclamped (it carries into the queue's request count)",
        LST,
        "max(kept, min(ready_at, 2**40))",
        "max(kept, ready_at)",
        ("test_a_claim_or_a_late_clock_cannot_corrupt_a_packed_request.py",),
    ),
    Mutation(
        "a claim leaves its request's owner slot (claimed again, paid what its other slots still say)",
        LST,
        "    self._requests[request_id].owner_due = 0\n",
        "",
        ("test_a_claim_or_a_late_clock_cannot_corrupt_a_packed_request.py",),
    ),
    Mutation(
        "a claim clears the request behind it (its owner's X no longer owed to it)",
        LST,
        "    self._requests[request_id].scaled = 0\n",
        "    self._requests[request_id + 1].scaled = 0\n",
        ("test_a_claim_or_a_late_clock_cannot_corrupt_a_packed_request.py",),
    ),
    Mutation(
        "a claimed request reads as never filed (its owner's tools lose it)",
        LST,
        "            claimed=arg0 < self._ids << ID_LOW >> ID_LOW,\n",
        "            claimed=False,\n",
        ("test_a_claim_or_a_late_clock_cannot_corrupt_a_packed_request.py",),
    ),
    Mutation(
        "a second claim of a request is not told apart from a request never filed",
        LST,
        '        assert request_id >= self._ids << ID_LOW >> ID_LOW, "lst: already claimed"\n',
        "",
        ("test_a_claim_or_a_late_clock_cannot_corrupt_a_packed_request.py",),
    ),
    Mutation(
        "a claim of a request to its owner pays the receiver slot it never wrote (the zero address)",
        LST,
        "    receiver: address = owner\n    if owner_due & REQUEST_RECEIVER != 0:\n"
        "        receiver = self._requests[request_id].receiver\n",
        "    receiver: address = self._requests[request_id].receiver\n",
        ("test_a_request_to_its_owner_cannot_be_claimed_or_paid_elsewhere.py",),
    ),
    Mutation(
        "requests() reads a request to its owner without a receiver",
        LST,
        "    if request.owner_due & REQUEST_RECEIVER == 0:\n        request.receiver = owner\n",
        "",
        ("test_a_request_to_its_owner_cannot_be_claimed_or_paid_elsewhere.py",),
    ),
    Mutation(
        "the stored-receiver flag on the owner's top bit (such an owner reads a receiver never stored)",
        LST,
        "REQUEST_RECEIVER: constant(uint256) = 2**201\n",
        "REQUEST_RECEIVER: constant(uint256) = 2**159\n",
        ("test_a_request_to_its_owner_cannot_be_claimed_or_paid_elsewhere.py",),
    ),
    Mutation(
        "the stored-receiver flag on ready_at's top bit (a request to another receiver is due 2^39 s late)",
        LST,
        "REQUEST_RECEIVER: constant(uint256) = 2**201\n",
        "REQUEST_RECEIVER: constant(uint256) = 2**199\n",
        ("test_a_request_to_its_owner_cannot_be_claimed_or_paid_elsewhere.py",),
    ),
    Mutation(
        "anybody may claim a request (for its receiver)",
        LST,
        '    assert msg.sender == receiver or msg.sender == owner, "lst: not request owner"\n',
        "",
        ("test_a_request_to_its_owner_cannot_be_claimed_or_paid_elsewhere.py",),
    ),
    Mutation(
        "a request never filed is not refused as unknown",
        LST,
        '        raise "lst: unknown request"\n',
        "        pass\n",
        ("test_a_request_to_its_owner_cannot_be_claimed_or_paid_elsewhere.py",),
    ),
    # ------------------------------------------------------------ the LST's books packed (two 128-bit halves)
    Mutation(
        "the books' halves unchecked (a deposit past 2^128 - 1 spills into the accounted balance)",
        LST,
        '    assert amount >> BOOKS_HIGH == 0, "lst: amount too large"\n',
        "    pass\n",
        (
            "test_a_deposit_past_128_bits_cannot_corrupt_the_packed_books.py",
            "test_a_request_cannot_be_paid_other_than_what_is_set_aside_for_it.py",
        ),
    ),
    Mutation(
        "the books' high halves one bit low (the accounted balance overlaps the buffer's top bit)",
        LST,
        "BOOKS_HIGH: constant(uint256) = 128\n",
        "BOOKS_HIGH: constant(uint256) = 127\n",
        ("test_a_deposit_past_128_bits_cannot_corrupt_the_packed_books.py",),
    ),
    Mutation(
        "X paid back past the books' bound is counted (the payback reverts for good)",
        LST,
        "        self._set_funds(self._buffer() + min(pulled, room), accounted)\n",
        "        self._set_funds(self._buffer() + pulled, accounted)\n",
        ("test_a_deposit_past_128_bits_cannot_corrupt_the_packed_books.py",),
    ),
    Mutation(
        "maxDeposit / maxMint overstate the room left (twice it: past what deposit accepts)",
        LST,
        "    room_assets: uint256 = self._room()\n",
        "    room_assets: uint256 = self._room() << 1\n",
        ("test_a_deposit_past_128_bits_cannot_corrupt_the_packed_books.py",),
    ),
    Mutation(
        "maxDeposit offers a room worth less than one share (deposit of it reverts 'zero shares')",
        LST,
        "    if in_shares or most_shares == 0:\n",
        "    if in_shares:\n",
        ("test_the_books_bound_cannot_refuse_what_the_lst_offers.py",),
    ),
    Mutation(
        "the LST asks to unbond uncounted stake past the books' bound (a filing refused 'amount too large')",
        LST,
        "    staked: uint256 = min(staticcall backend.staked_balance(self), "
        "accounted - min(expected, accounted))\n",
        "    staked: uint256 = staticcall backend.staked_balance(self)\n",
        ("test_the_books_bound_cannot_refuse_what_the_lst_offers.py",),
    ),
    Mutation(
        "the LST asks to unbond rewards it has not counted (their payback lands at once: sandwiched)",
        LST,
        "    staked: uint256 = min(staticcall backend.staked_balance(self), "
        "accounted - min(expected, accounted))\n",
        "    staked: uint256 = min(staticcall backend.staked_balance(self), BOOKS_MAX - expected)\n",
        ("test_uncounted_rewards_cannot_land_at_once_through_a_payback.py",),
    ),
    Mutation(
        "a gain the books' bound cuts short spends all the time since the last gain (dust stalls syncs)",
        LST,
        "    spent: uint256 = math._mul_div(elapsed, gain, owed, True)\n",
        "    spent: uint256 = elapsed\n",
        ("test_a_dust_room_at_the_bound_cannot_stall_reward_counting.py",),
    ),
    Mutation(
        "a gain the bound cuts short is charged its time rounded down (a second of the cap per sync twice)",
        LST,
        "    spent: uint256 = math._mul_div(elapsed, gain, owed, True)\n",
        "    spent: uint256 = math._mul_div(elapsed, gain, owed, False)\n",
        ("test_a_gain_cut_short_cannot_count_more_than_its_time_allows.py",),
    ),
    Mutation(
        "a sync the bound cut short moves the gain clock to now (the rest of the time lost to the cap)",
        LST,
        "    self.last_gain_time += spent\n",
        "    self.last_gain_time = block.timestamp\n",
        ("test_a_huge_gain_cannot_overflow_the_packed_stream.py",),
    ),
    Mutation(
        "the unbonding halves unchecked (free unbonding past 2^128 - 1 reads as unbonding expected)",
        LST,
        "    self._check_half(free | expected)\n",
        "",
        ("test_a_deposit_past_128_bits_cannot_corrupt_the_packed_books.py",),
    ),
    Mutation(
        "a change of the buffer writes the accounted balance as zero",
        LST,
        "    self._set_funds((funds << BOOKS_HIGH >> BOOKS_HIGH) + added - taken, funds >> BOOKS_HIGH)\n",
        "    self._set_funds((funds << BOOKS_HIGH >> BOOKS_HIGH) + added - taken, 0)\n",
        ("test_a_deposit_past_128_bits_cannot_corrupt_the_packed_books.py",),
    ),
    Mutation(
        "a change of the accounted balance writes the buffer as zero",
        LST,
        "    self._set_funds(self._buffer(), accounted)\n",
        "    self._set_funds(0, accounted)\n",
        ("test_a_deposit_past_128_bits_cannot_corrupt_the_packed_books.py",),
    ),
    Mutation(
        "a partial funding does not flag the part it set aside apart (a claim pays the rest alone)",
        LST,
        "                self._requests[head].owner_due = owner_due | REQUEST_PAID_APART\n",
        "",
        ("test_a_request_cannot_be_paid_other_than_what_is_set_aside_for_it.py",),
    ),
    Mutation(
        "a funding leaves out what was set aside apart before (a claim pays the last part alone)",
        LST,
        "        if owner_due & REQUEST_PAID_APART != 0:\n            paid += self._requests[head].paid\n",
        "",
        ("test_a_request_cannot_be_paid_other_than_what_is_set_aside_for_it.py",),
    ),
    Mutation(
        "a funding writes what it pays unmarked (a claim reads it as a waiting request's `scaled`)",
        LST,
        "        self._requests[head].scaled = REQUEST_FUNDED | paid\n",
        "        self._requests[head].scaled = paid\n",
        ("test_a_request_cannot_be_paid_other_than_what_is_set_aside_for_it.py",),
    ),
    Mutation(
        "a request the head passed unfunded reads its `scaled` as X (paid what was never set aside)",
        LST,
        "    if slot & REQUEST_FUNDED != 0:\n        return slot & REQUEST_PAID_MASK\n",
        "    if slot != 0:\n        return slot & REQUEST_PAID_MASK\n",
        ("test_a_request_cannot_be_paid_other_than_what_is_set_aside_for_it.py",),
    ),
    Mutation(
        "a request the head passed unfunded pays nothing (what was set aside apart for it is lost)",
        LST,
        "    return self._paid_apart(request_id, owner_due)\n",
        "    return 0\n",
        ("test_a_request_cannot_be_paid_other_than_what_is_set_aside_for_it.py",),
    ),
    Mutation(
        "the paid-apart flag on the stored-receiver flag's bit (a request to another receiver reads paid)",
        LST,
        "REQUEST_PAID_APART: constant(uint256) = 2**202\n",
        "REQUEST_PAID_APART: constant(uint256) = 2**201\n",
        ("test_a_request_to_its_owner_cannot_be_claimed_or_paid_elsewhere.py",),
    ),
    Mutation(
        "flat instant fee (draining the buffer costs 0.1%)",
        LST,
        "    extra: uint256 = (self._parameters >> PARAM_BITS * PARAM_MAX_INSTANT_FEE & PARAM_MASK) - base\n",
        "    extra: uint256 = 0\n",
        ("test_buffer_drain_cannot_block_close.py",),
    ),
    Mutation(
        "max views convert at no price once everything is lost (maxRedeem reverts)",
        LST,
        "    if books.total_assets == 0:\n        return 0\n    # Redeeming at most",
        "    # Redeeming at most",
        ("test_erc4626_max_views_never_revert.py",),
    ),
    Mutation(
        "exits priced against the target before the exit (pieces pay less)",
        LST,
        "    return self._fee_along(self._exit_room(books), amount, "
        "self._target(total_assets - min(amount, total_assets)))\n",
        "    return self._fee_along(self._exit_room(books), amount, self._target(total_assets))\n",
        ("test_buffer_drain_cannot_block_close.py",),
    ),
    Mutation(
        "rebalance never unbonds to refill the buffer",
        LST,
        "    target: uint256 = self._target(self._total_assets())\n    for_buffer: uint256 = min(",
        "    target: uint256 = 0\n    for_buffer: uint256 = min(",
        ("test_buffer_drain_cannot_block_close.py",),
    ),
    Mutation(
        "a filing is covered by the buffer first (the queue takes the instant exits' buffer)",
        LST,
        "self._request_unbonding(cover.held, True)",
        "self._request_unbonding(max_value(uint256), True)",
        ("test_instant_exits_cannot_starve_the_queue.py",),
    ),
    Mutation(
        "instant exits may take the X the queue is owed (an early payback)",
        LST,
        "    return buffer - min(buffer, self._books_cover(books).held)\n",
        "    return buffer\n",
        (
            "test_instant_exits_cannot_starve_the_queue.py",
            "test_reunbonding_cannot_free_the_queue_cover.py",
            "test_x_landed_for_more_requests_than_one_call_funds_stays_theirs.py",
        ),
    ),
    # ------------------------------------------------------------ issue 26: the queue's cover, batches, pairs
    Mutation(
        "a slash of the queue's unbonding is not the queue's loss (uncounted rewards hide it)",
        LST,
        "            math._mul_div(drop, in_flight, expected, True) + (self._ids >> IDS_HIGH), in_flight\n",
        "            0, in_flight\n",
        ("test_slash_hidden_by_unsynced_rewards_cannot_delay_the_queue.py",),
    ),
    Mutation(
        "all unbonding counts as the queue's cover (a landed payback is not the queue's first)",
        LST,
        "    in_flight: uint256 = min(unbonding - min(free_unbonding, unbonding), liability)\n",
        "    in_flight: uint256 = min(unbonding, liability)\n",
        ("test_reunbonding_cannot_free_the_queue_cover.py",),
    ),
    Mutation(
        "rebalance unbonds again what the buffer holds for the queue",
        LST,
        "    short: uint256 = cover.held - min(cover.held, min(buffer, keep))\n",
        "    short: uint256 = cover.held\n",
        (
            "test_reunbonding_cannot_free_the_queue_cover.py",
            "test_rebalance_churn_cannot_delay_a_large_request.py",
            "test_x_landed_for_more_requests_than_one_call_funds_stays_theirs.py",
        ),
    ),
    Mutation(
        "rebalance delegates the buffer the queue holds (churn delays a request larger than the stake)",
        LST,
        "        room: uint256 = buffer - min(buffer, self._cover().held)\n",
        "        room: uint256 = buffer\n",
        (
            "test_rebalance_churn_cannot_delay_a_large_request.py",
            "test_x_landed_for_more_requests_than_one_call_funds_stays_theirs.py",
        ),
    ),
    Mutation(
        "a request is due before the unbonding it counts on matures (after the delay was shortened)",
        LST,
        "        max(block.timestamp + staticcall backend.unbonding_delay(), last_ready_at), "
        "ids << BELOW_COUNT >> UNBONDING_LOW\n",
        "        block.timestamp + staticcall backend.unbonding_delay(), last_ready_at\n",
        ("test_shortened_delay_cannot_make_a_request_late.py",),
    ),
    Mutation(
        "a close keeps an earlier close's queued unstake (transient storage not reset)",
        ROUTER,
        "    self._queued_assets = 0\n    self._queued_id = 0\n",
        "",
        ("test_close_slippage_cannot_count_another_close.py",),
    ),
    Mutation(
        "the factory lists a market lending another asset than its collateral's",
        FACTORY,
        "    assert staticcall IERC4626(collateral.address).asset() == asset.address, (\n"
        '        "factory: collateral is not an lst of the asset"\n    )\n',
        "",
        ("test_factory_cannot_list_a_foreign_loan_asset.py",),
    ),
    Mutation(
        "seizing a written-down position's last collateral by amount fails on rounding",
        MARKET,
        "total_shares) + 2 >= owed:\n                repaid_sh = position.borrow_shares\n",
        "total_shares) + 2 >= owed:\n                pass\n",
        ("test_liquidation_by_amount_cannot_get_stuck_on_rounding.py",),
    ),
    Mutation(
        "any seize beyond the debt repays just the debt (a liquidator takes more than the incentive)",
        MARKET,
        "            if self._to_assets_up(position.borrow_shares, total_assets, total_shares) + 2 >= owed:",
        "            if True:",
        ("test_liquidation_by_amount_cannot_get_stuck_on_rounding.py",),
    ),
    Mutation(
        "deposits priced without the locked stream (a deposit dilutes the book value)",
        LST,
        "    return books.total_assets + books.locked\n",
        "    return books.total_assets\n",
        ("test_deposit_cannot_dilute_book_value_into_liquidation.py",),
    ),
    Mutation(
        "the router's close does not pull matured unbonding",
        ROUTER,
        "        extcall ILiquidStaking(tokens.lst.address).process_queue()\n",
        "        pass\n",
        ("test_buffer_drain_cannot_block_close.py",),
    ),
    Mutation(
        "a queued request keeps its amount through a slash",
        LST,
        "            factor = max(math._mul_div(factor, liability - queue_cut, liability, False), 1)\n",
        "            factor = factor\n",
        ("test_queue_cannot_dodge_slash.py",),
    ),
    Mutation(
        "the backend slashes only staked X, not unbonding X",
        VALIDATOR,
        "        self._unbondings[delegator][head] = entry - cut\n"
        "        unbonding_loss += cut\n",
        "        unbonding_loss += 0\n",
        ("test_queue_cannot_dodge_slash.py",),
    ),
    Mutation(
        "the devnet backend keeps a half's high bits (a reserve past 128 bits spills into the stake units)",
        VALIDATOR,
        '    assert (low | high) >> HALF == 0, "validator: amount too large"\n',
        "",
        ("../unit/staking/test_simulated_validator.py",),
    ),
    Mutation(
        "the devnet backend packs a reserve past 112 bits into the pool (its high bits dropped)",
        VALIDATOR,
        "    if reserve >= RESERVE_SATURATED:\n",
        "    if False:\n",
        ("../unit/staking/test_simulated_validator.py",),
    ),
    Mutation(
        "the backend does not report a slash",
        VALIDATOR,
        "    if push_report and delegator.is_contract:\n",
        "    if False:\n",
        ("test_slash_is_shared_whoever_pokes_first.py",),
    ),
    Mutation(
        # (Restarting the stream at the loss, the earlier mutation here, is equivalent: the rest of the
        # stream keeps its end, so it unlocks at the same speed. It survived, rightly.)
        "a loss is seen only inside a call, not by views (an exit depends on who poked first)",
        LST,
        "    if current < accounted:\n        loss += accounted - current\n",
        "    if current < accounted and self._lock:\n        loss += accounted - current\n",
        ("test_slash_is_shared_whoever_pokes_first.py",),
    ),
    Mutation(
        "the queue funds requests before the unbonding delay (a fee-free instant exit)",
        LST,
        f"    if request_id >= {HEAD} or {CLAIMED_READY_AT} > block.timestamp:\n",
        f"    if request_id >= {HEAD}:\n",
        ("test_queue_cannot_skip_the_instant_fee.py",),
    ),
    Mutation(
        "dust queued unstakes accepted",
        LST,
        '    assert amount >= min_request, "lst: request below minimum"\n',
        '    assert amount != 0, "lst: zero assets"\n',
        ("test_dust_requests_cannot_stall_the_queue.py",),
    ),
    Mutation(
        "a claim that is not ready reverts, undoing its progress",
        LST,
        f"    if request_id >= {HEAD} or {CLAIMED_READY_AT} > block.timestamp:\n"
        "        self._exit()\n        return 0\n",
        f"    assert request_id < {HEAD} and {CLAIMED_READY_AT} <= block.timestamp, "
        '"lst: not ready"\n',
        ("test_dust_requests_cannot_stall_the_queue.py",),
        # Code room for its revert string: three reads the test never makes.
        also=(GETTER_LAST_READY_AT, GETTER_UNBONDING_READY_AT, VIEW_REQUEST_VALUE),
    ),
    # ------------------------------------------------------------ owner parameters, router allowances
    Mutation(
        "a parameter's bounds read from its neighbour's row of the table",
        GOVERNOR,
        "        new_value <= PARAM_MAXES >> PARAM_BITS * parameter & PARAM_MASK\n",
        "        new_value <= PARAM_MAXES >> PARAM_BITS * (parameter ^ 1) & PARAM_MASK\n",
        ("test_owner_change_cannot_trap_positions.py",),
    ),
    Mutation(
        "owner parameter changes apply at once",
        GOVERNOR,
        '    assert block.timestamp >= pending.eta, "governor: parameter delay not over"\n',
        "",
        ("test_owner_change_cannot_trap_positions.py",),
    ),
    Mutation(
        "instant fee ceiling above what a 50x position can pay (5%)",
        GOVERNOR,
        "MAX_INSTANT_FEE_CEILING_BPS: constant(uint256) = 100\n",
        "MAX_INSTANT_FEE_CEILING_BPS: constant(uint256) = 500\n",
        ("test_owner_change_cannot_trap_positions.py",),
    ),
    # The LST takes parameter and treasury writes from its governor only (the bounds and the delay above live
    # in the governor since b237280), and the governor is bound once, to the LST that names it.
    Mutation(
        "anybody writes an LST parameter (set_parameter without its governor check)",
        LST,
        '            bounds and applies a change only after its delay).\n    """\n'
        "    self._check_governor()\n",
        '            bounds and applies a change only after its delay).\n    """\n',
        ("test_a_stranger_cannot_write_the_lst_parameters_or_treasury.py",),
    ),
    Mutation(
        "anybody sets the LST's treasury (set_treasury without its governor check)",
        LST,
        '    @notice Sets the receiver of future protocol fee shares (the governor only).\n    """\n'
        "    self._check_governor()\n",
        '    @notice Sets the receiver of future protocol fee shares (the governor only).\n    """\n',
        ("test_a_stranger_cannot_write_the_lst_parameters_or_treasury.py",),
    ),
    Mutation(
        "the LST writes a parameter value past its 32 bits (into the next parameter's)",
        LST,
        '    assert parameter < PARAM_COUNT and new_value <= PARAM_MASK, "lst: parameter out of bounds"\n',
        '    assert parameter < PARAM_COUNT, "lst: parameter out of bounds"\n',
        ("test_a_stranger_cannot_write_the_lst_parameters_or_treasury.py",),
    ),
    Mutation(
        "a governor binds to an LST that names another governor",
        GOVERNOR,
        '    assert staticcall lst_.governor() == self, "governor: not the lst\'s governor"\n',
        "",
        ("test_a_governor_cannot_be_bound_to_another_lst.py",),
    ),
    Mutation(
        "a governor binds again (its pending changes then land on another LST)",
        GOVERNOR,
        '    assert self.lst.address == empty(address), "governor: already bound"\n',
        "",
        ("test_a_governor_cannot_be_bound_to_another_lst.py",),
    ),
    Mutation(
        "the router leaves its allowances in place",
        ROUTER,
        "    if staticcall token.allowance(self, spender) != 0:\n"
        "        assert extcall token.approve(spender, 0, default_return_value=True), "
        '"router: approve failed"\n',
        "    pass\n",
        ("test_router_leaves_no_approvals.py",),
        also=(
            (
                "    assert extcall token.approve(spender, amount, default_return_value=True), "
                '"router: approve failed"\n',
                "    assert extcall token.approve(spender, max_value(uint256), default_return_value=True), "
                '"router: approve failed"\n',
            ),
        ),
    ),
    Mutation(
        "the router, the guard and the liquidator remember a market the factory never listed",
        FACTORY_MARKETS,
        "    if lst != empty(address) or not staticcall registry.is_market(market.address):\n",
        "    if lst != empty(address):\n",
        ("test_a_market_the_factory_never_made_cannot_pass_the_leverage_contracts.py",),
    ),
    Mutation(
        "the memory of one market answers for every market",
        FACTORY_MARKETS,
        "self._checked_lst[market.address]",
        "self._checked_lst[registry.address]",
        ("test_a_market_the_factory_never_made_cannot_pass_the_leverage_contracts.py",),
    ),
    # ------------------------------------------------------------ the guard and the liquidator
    Mutation(
        "protect acts without a trigger",
        GUARD,
        '    assert trigger != 0, "guard: no trigger holds"\n',
        "",
        ("test_protect_on_a_healthy_position_fails.py",),
    ),
    Mutation(
        "protect steps a position within the landing tolerance of its target",
        GUARD,
        "    assert leverage > target + self._tolerance(target, leverage, value - debt), "
        '"guard: already at target"\n',
        '    assert leverage > target, "guard: already at target"\n',
        ("test_a_position_at_its_target_cannot_be_protected_for_a_tip.py",),
        also=(
            (
                "        above = result.leverage > settings.target_leverage + self._tolerance(\n"
                "            settings.target_leverage, result.leverage, value - debt\n"
                "        )\n",
                "        above = result.leverage > settings.target_leverage\n",
            ),
        ),
    ),
    Mutation(
        "protect pays a whole tip of the equity for a sliver of a step",
        GUARD,
        "        min(value - debt, math._mul_div(leverage - target, value - debt, WAD, False)), "
        "tip_bps, BPS, False\n",
        "        value - debt, tip_bps, BPS, False\n",
        ("test_a_drifting_position_cannot_be_drained_by_repeated_protects.py",),
    ),
    Mutation(
        "protect pays any tip its caller asks",
        GUARD,
        '    assert tip_bps <= settings.max_tip_bps, "guard: tip above max"\n',
        "",
        ("test_protect_tip_above_the_max_fails.py",),
    ),
    Mutation(
        "guard reentrancy lock off",
        GUARD,
        "# pragma nonreentrancy on\n",
        "\n",
        ("test_reentrancy_into_guard_and_liquidator_fails.py",),
        also=(("@reentrant\n", ""),),
    ),
    Mutation(
        "liquidator reentrancy lock off",
        LIQUIDATOR,
        "# pragma nonreentrancy on\n",
        "\n",
        ("test_reentrancy_into_guard_and_liquidator_fails.py",),
        also=(("@reentrant\n", ""),),
    ),
    Mutation(
        "revoke leaves the guard's settings in place",
        GUARD,
        "    self.settings[market][msg.sender] = empty(Settings)\n",
        "    pass\n",
        ("test_protect_after_revoke_fails.py",),
    ),
    Mutation(
        "protect does not check the user's market authorization (the market's own check remains)",
        GUARD,
        '    assert staticcall market.is_authorized(user, self), "guard: not authorized"\n',
        "",
        ("test_protect_after_revoke_fails.py", "test_protect_without_opt_in_fails.py"),
    ),
    Mutation(
        "protect acts for a user who set no guard on that market (zero settings trigger nothing)",
        GUARD,
        '    assert settings.target_leverage != 0, "guard: not guarded"\n',
        "",
        ("test_protect_without_opt_in_fails.py", "test_protect_after_revoke_fails.py"),
    ),
    Mutation(
        "carry trigger read from the borrow APR of the moment (no time weighting)",
        GUARD,
        "    if settings.carry_hours != 0 and self._run(self.carry[market.address]) >= "
        "settings.carry_hours * HOUR:\n",
        "    if settings.carry_hours != 0 and self._instant_carry(market, tokens):\n",
        ("test_carry_trigger_cannot_be_faked_in_one_block.py",),
        also=(("@pure\n@internal\ndef _debt_index(", INSTANT_CARRY + "@pure\n@internal\ndef _debt_index("),),
    ),
    Mutation(
        "a carry run counts its first interval (a spike at the end of a long interval counts for all of it)",
        GUARD,
        "    new.run_last_start = last.time\n    new.run_first_end = block.timestamp\n",
        "    new.run_last_start = last.time\n    new.run_first_end = last.time\n",
        ("test_carry_trigger_cannot_be_faked_by_a_short_spike.py",),
    ),
    Mutation(
        "a carry run continues across an interval longer than 6 hours",
        GUARD,
        "    if last.run_first_end != 0 and block.timestamp - last.time <= MAX_INTERVAL:\n",
        "    if last.run_first_end != 0:\n",
        ("test_carry_trigger_cannot_be_faked_by_a_short_spike.py",),
    ),
    Mutation(
        "the guard's landing ignores what a wei of debt moves (a position with little equity never lands)",
        GUARD,
        "    return target // TARGET_TOLERANCE + leverage * LANDING_SLACK // equity\n",
        "    return target // TARGET_TOLERANCE\n",
        ("../unit/leverage/test_leverage_guard.py::test_protect_lands_a_position_of_a_few_thousand_wei",),
    ),
    Mutation(
        "the liquidator does not check the seized LST covers the repaid X (the market's pull still fails)",
        LIQUIDATOR,
        '        assert proceeds >= repaid_assets, "liquidator: would lose money"\n',
        "",
        ("test_liquidation_that_would_lose_money_reverts.py",),
    ),
    Mutation(
        "the liquidator ignores the caller's min_profit",
        LIQUIDATOR,
        '    assert value >= min_profit, "liquidator: profit below minimum"\n',
        "",
        ("test_liquidation_that_would_lose_money_reverts.py",),
    ),
    Mutation(
        "the guard's repay callback is accepted from any listed market",
        GUARD,
        "    assert msg.sender == self._market and msg.sender != empty(address), "
        '"guard: unexpected callback"\n',
        '    assert staticcall registry.is_market(msg.sender), "guard: unexpected callback"\n',
        (
            "test_callback_from_another_market_is_refused.py",
            "test_reentrancy_into_guard_and_liquidator_fails.py",
        ),
    ),
    Mutation(
        "the liquidator's callback is accepted from anybody",
        LIQUIDATOR,
        "    assert msg.sender == self._market and msg.sender != empty(address), "
        '"liquidator: unexpected callback"\n',
        "",
        (
            "test_callback_from_another_market_is_refused.py",
            "test_reentrancy_into_guard_and_liquidator_fails.py",
        ),
    ),
    Mutation(
        "landed X waits for the requests to be due (one loss factor over held and unbonding requests)",
        LST,
        "        room: uint256 = held\n",
        "        room: uint256 = 0\n",
        ("test_a_later_filer_cannot_pass_his_slash_to_earlier_requests.py",),
    ),
    Mutation(
        "a filing is covered by the buffer's unbonding on its way before the stake",
        LST,
        "    if filing:\n        for_queue = min(short, staked)\n",
        "",
        ("test_filing_when_buffer_unbonding_lands_cannot_dodge_a_slash.py",),
    ),
    Mutation(
        "what lands is the queue's payback first, even the buffer's unbonding asked before the queue's",
        LST,
        "        landed_free: uint256 = min(pulled, self.free_ahead)\n",
        "        landed_free: uint256 = 0\n",
        ("test_filing_when_buffer_unbonding_lands_cannot_dodge_a_slash.py",),
    ),
    # No mutation for the filing's pull of matured unbonding: since a filing is covered by new stake unbonding
    # first and what lands is the buffer's unbonding asked before the queue's first (the two mutations above),
    # the bundle it was added for carries its slash without it (its mutation survived, the attack file's both
    # cases pass); the pull stays so a filing funds due requests first, not as a defence.
    Mutation(
        "what the buffer holds for a filing is pooled with the requests waiting on unbonding",
        LST,
        "    if paid != 0:\n        scaled = self._set_aside(paid, scaled, factor)\n",
        "    paid = 0\n",
        ("test_an_earlier_filer_cannot_pass_his_slash_to_a_request_the_buffer_holds.py",),
    ),
    Mutation(
        "the loss factor never starts over once a slash of the whole queue took it to its floor",
        LST,
        "    if self._liability() <= 1:\n        # Nothing waiting",
        "    if False:\n        # Nothing waiting",
        ("test_a_wiped_queue_cannot_make_later_requests_immune_to_slashes.py",),
    ),
    Mutation(
        "the loss factor starts over only when no request waits (not when none waiting is worth anything)",
        LST,
        "    if self._liability() <= 1:\n        # Nothing waiting",
        "    if self.queue_scaled == 0:\n        # Nothing waiting",
        ("test_a_wiped_queue_cannot_make_later_requests_immune_to_slashes.py",),
    ),
)


def copy_project(target: Path) -> None:
    files = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    for name in filter(None, files):
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target / name)
    for installed in (".venv", "node_modules"):
        (target / installed).symlink_to(ROOT / installed)


def run_tests(project: Path, tests: tuple[str, ...], first_failure: bool = False) -> tuple[bool, list[str]]:
    """Runs the files on a clean build (Ape reused stale artifacts after an edit): (passed, failures). With
    `first_failure`, stops at the first failing test (enough to show a mutant caught)."""
    shutil.rmtree(project / ".build", ignore_errors=True)
    run = subprocess.run(
        ["ape", "test", *(ATTACKS + test for test in tests), "-p", "no:cacheprovider", "-q"]
        + (["-x"] if first_failure else []),
        cwd=project,
        capture_output=True,
        text=True,
    )
    failures = [line for line in run.stdout.splitlines() if line.startswith(("FAILED", "ERROR tests"))]
    return run.returncode == 0, failures


def main() -> int:
    # `--from N` resumes an interrupted run at mutation N (0-based), without the unmutated run first.
    start = int(sys.argv[sys.argv.index("--from") + 1]) if "--from" in sys.argv else 0
    # `--file F` runs only the mutations that F's tests are meant to catch (after checking F passes).
    only = sys.argv[sys.argv.index("--file") + 1] if "--file" in sys.argv else None
    # `--path P` runs only the mutations of one contract (P as in MUTATIONS: contracts/leverage/...), for a
    # change that touched that contract alone.
    path = sys.argv[sys.argv.index("--path") + 1] if "--path" in sys.argv else None
    with tempfile.TemporaryDirectory(prefix="levstake-defences-") as folder:
        project = Path(folder)
        copy_project(project)
        for mutation in MUTATIONS:
            source = (project / mutation.path).read_text()
            for old, _ in ((mutation.old, mutation.new), *mutation.also):
                assert old in source, f"{mutation.name}: the code to mutate is gone from {mutation.path}"
        chosen = [
            m
            for m in MUTATIONS[start:]
            if (only is None or Path(only).name in m.tests) and (path is None or m.path == path)
        ]
        every_file = tuple(sorted({test for mutation in chosen for test in mutation.tests}))
        passed, failures = run_tests(project, every_file) if start == 0 else (True, [])
        if not passed:
            print("the attack tests fail without any mutation:", *failures, sep="\n  ")
            return 1
        survivors = []
        for mutation in chosen:
            source_file = project / mutation.path
            source = source_file.read_text()
            source_file.write_text(mutation.apply(source))
            started = time.monotonic()
            try:
                passed, failures = run_tests(project, mutation.tests, first_failure=True)
            finally:
                source_file.write_text(source)
            # Caught means a test failed, not that the mutant stopped compiling.
            caught = not passed and any(line.startswith("FAILED") for line in failures)
            print(
                f"{'caught  ' if caught else 'SURVIVED'} {mutation.name} "
                f"({len(failures)} failing, {time.monotonic() - started:.0f} s)",
                flush=True,
            )
            for line in failures[:4]:
                print(f"    {line.split(' - ')[0]}")
            if not caught:
                survivors.append(mutation.name)
        tried = len(chosen)
        print(f"{tried - len(survivors)} of {tried} mutations caught")
        return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
