// SPDX-License-Identifier: MIT
pragma solidity ^0.8.27;

import {SidecarBase} from "./SidecarBase.sol";
import {ISidecar} from "../src/interfaces/ISidecar.sol";
import {TestToken} from "../src/TestToken.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

/// A token that calls back into Sidecar on every transfer when armed (an ERC-777-style hook).
contract HookToken is TestToken {
    address public target;
    bytes public payload;

    constructor() TestToken("Hook", "HOOK") {}

    function arm(address target_, bytes calldata payload_) external {
        target = target_;
        payload = payload_;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (target != address(0)) {
            (bool ok, bytes memory ret) = target.call(payload);
            if (!ok) {
                assembly {
                    revert(add(ret, 32), mload(ret))
                }
            }
        }
    }
}

contract SidecarReentrancyTest is SidecarBase {
    function _newToken() internal override returns (TestToken) {
        return new HookToken();
    }

    function test_withdraw_isReentrancySafe() public {
        _roll(1, ISidecar.Phase.Proposal);
        _propose(seqA, _mkBlock(1, GENESIS_ROOT, 1, 1), 5e18, 0);
        _roll(1, ISidecar.Phase.Proving);
        sc.refundProposal(1, seqA);
        assertEq(sc.creditOf(seqA), 5e18);
        HookToken(address(token)).arm(address(sc), abi.encodeCall(ISidecar.withdraw, (seqA)));
        vm.prank(seqA);
        vm.expectRevert(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        sc.withdraw(seqA);
        assertEq(sc.creditOf(seqA), 5e18, "credit intact");
        HookToken(address(token)).arm(address(0), "");
        vm.prank(seqA);
        sc.withdraw(seqA);
        assertEq(sc.creditOf(seqA), 0);
    }

    function test_stake_isReentrancySafe() public {
        HookToken(address(token)).arm(address(sc), abi.encodeCall(ISidecar.fundRewards, (1)));
        vm.prank(seqA);
        vm.expectRevert(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        sc.stake(1);
    }
}
