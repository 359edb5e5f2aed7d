// SPDX-License-Identifier: MIT
package io.tmidb.connector;

import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The address guard on literal addresses and a resolver that never asks DNS. */
class AddressGuardTest {

    private static String reason(String literal) throws UnknownHostException {
        return AddressGuard.blockedReason(InetAddress.getByName(literal)).orElse("public");
    }

    @Test
    void classifiesAddresses() throws UnknownHostException {
        Map<String, String> expected = Map.ofEntries(
                Map.entry("127.0.0.1", "loopback"), Map.entry("127.8.9.10", "loopback"), Map.entry("::1", "loopback"),
                Map.entry("10.1.2.3", "private"), Map.entry("172.16.0.1", "private"), Map.entry("172.31.255.255", "private"),
                Map.entry("192.168.1.1", "private"), Map.entry("100.64.0.1", "private (carrier-grade NAT)"),
                Map.entry("fd12:3456::1", "private (IPv6 unique local)"),
                Map.entry("169.254.1.1", "link-local"), Map.entry("fe80::1", "link-local"),
                Map.entry("169.254.169.254", "cloud metadata"), Map.entry("169.254.170.2", "cloud metadata"),
                Map.entry("100.100.100.200", "cloud metadata"), Map.entry("fd00:ec2::254", "cloud metadata"),
                Map.entry("0.0.0.0", "unspecified or broadcast"), Map.entry("::", "unspecified or broadcast"),
                Map.entry("255.255.255.255", "unspecified or broadcast"), Map.entry("224.0.0.1", "multicast"),
                Map.entry("::ffff:10.0.0.1", "private"), Map.entry("::127.0.0.1", "loopback"),
                Map.entry("64:ff9b::a9fe:a9fe", "cloud metadata"),
                Map.entry("93.184.216.34", "public"), Map.entry("172.32.0.1", "public"), Map.entry("100.128.0.1", "public"),
                Map.entry("2606:4700::1111", "public"));
        for (Map.Entry<String, String> e : expected.entrySet()) {
            assertEquals(e.getValue(), reason(e.getKey()), e.getKey());
        }
    }

    @Test
    void refusesAHostWhenAnyOfItsAddressesIsBlocked() throws UnknownHostException {
        InetAddress pub = InetAddress.getByName("93.184.216.34");
        InetAddress priv = InetAddress.getByName("10.0.0.7");
        AddressGuard.Resolver dns = host -> switch (host) {
            case "feed.example" -> new InetAddress[] {pub};
            case "mixed.example" -> new InetAddress[] {pub, priv};
            default -> throw new UnknownHostException(host);
        };
        AddressGuard guard = new AddressGuard(false, Set.of(), dns);
        assertDoesNotThrow(() -> guard.check(URI.create("https://feed.example/x.json")));
        FetchException e = assertThrows(FetchException.class, () -> guard.check(URI.create("https://mixed.example/")));
        assertEquals(FetchException.Code.BLOCKED_ADDRESS, e.code());
        assertTrue(e.getMessage().contains("10.0.0.7") && e.getMessage().contains("private")
                && e.getMessage().contains("connector-allow-private"), e.getMessage());
        FetchException unknown = assertThrows(FetchException.class, () -> guard.check(URI.create("http://nowhere.example/")));
        assertEquals(FetchException.Code.IO, unknown.code());
        // the setting allows everything; an allowed address allows just itself
        assertDoesNotThrow(() -> new AddressGuard(true, Set.of(), dns).check(URI.create("https://mixed.example/")));
        assertDoesNotThrow(() -> new AddressGuard(false, Set.of("10.0.0.7"), dns).check(URI.create("https://mixed.example/")));
        assertThrows(FetchException.class, () -> new AddressGuard(false, Set.of("10.0.0.8"), dns).check(URI.create("https://mixed.example/")));
    }

    @Test
    void checksLiteralHostsToo() {
        AddressGuard guard = new AddressGuard(false, Set.of(), InetAddress::getAllByName); // literals need no DNS
        assertEquals(FetchException.Code.BLOCKED_ADDRESS,
                assertThrows(FetchException.class, () -> guard.check(URI.create("http://[::1]:8080/"))).code());
        assertEquals(FetchException.Code.BLOCKED_ADDRESS,
                assertThrows(FetchException.class, () -> guard.check(URI.create("http://169.254.169.254/latest/meta-data/"))).code());
        assertThrows(IllegalArgumentException.class, () -> new AddressGuard(false, Set.of("intranet.example"), InetAddress::getAllByName));
    }
}
