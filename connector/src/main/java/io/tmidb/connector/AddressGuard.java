// SPDX-License-Identifier: MIT
package io.tmidb.connector;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.Set;

/**
 * Refuses URLs whose host resolves to an address a connector must not reach: a connector URL is
 * configuration that anyone with tmi_admin can write, and it must not become a way to read the
 * node's own services, the private network, or a cloud metadata endpoint. Every address the
 * host resolves to is checked (one bad address is enough to refuse), on every redirect hop.
 */
public final class AddressGuard {
    /** Resolves a host name to all its addresses; replaced in tests to avoid DNS. */
    @FunctionalInterface
    public interface Resolver {
        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    private final boolean allowPrivate;
    private final Set<String> allowed;
    private final Resolver resolver;

    /**
     * @param allowed addresses allowed although they are not public, spelled as
     *                {@link InetAddress#getHostAddress()} does
     */
    public AddressGuard(boolean allowPrivate, Set<String> allowed, Resolver resolver) {
        this.allowPrivate = allowPrivate;
        this.allowed = allowed.stream().map(AddressGuard::literal).collect(java.util.stream.Collectors.toUnmodifiableSet());
        this.resolver = resolver;
    }

    /** The guard a policy asks for, resolving with the system's resolver. */
    public static AddressGuard of(FetchPolicy policy) {
        return new AddressGuard(policy.allowPrivate(), policy.allowedAddresses(), InetAddress::getAllByName);
    }

    /** Resolves the URL's host and throws unless every address may be fetched. */
    public void check(URI uri) throws FetchException {
        String host = uri.getHost();
        if (host == null) {
            throw new FetchException(FetchException.Code.BAD_OPTIONS, "URL has no host: " + uri);
        }
        InetAddress[] addresses;
        try {
            addresses = resolver.resolve(host.startsWith("[") ? host.substring(1, host.length() - 1) : host);
        } catch (UnknownHostException e) {
            throw new FetchException(FetchException.Code.IO, "cannot resolve host " + host + " of " + uri, e);
        }
        if (allowPrivate) {
            return;
        }
        for (InetAddress a : addresses) {
            Optional<String> why = blockedReason(a);
            if (why.isPresent() && !allowed.contains(a.getHostAddress())) {
                throw new FetchException(FetchException.Code.BLOCKED_ADDRESS, "refused " + uri + ": host " + host
                        + " resolves to " + a.getHostAddress() + ", a " + why.get() + " address;"
                        + " set connector-allow-private=true, or list the address in connector-allowed-addresses, to allow it");
            }
        }
    }

    // only literal addresses: a host name would be resolved (and could change) at every check
    private static String literal(String address) {
        if (!address.matches("[0-9.]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*")) {
            throw new IllegalArgumentException("allowed addresses are IP addresses, not '" + address + "'");
        }
        try {
            return InetAddress.getByName(address).getHostAddress(); // a literal: no DNS lookup
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("not an IP address: '" + address + "'", e);
        }
    }

    /** Why an address is refused, or empty when it is a public one. */
    public static Optional<String> blockedReason(InetAddress a) {
        byte[] b = a.getAddress();
        if (isMetadata(a)) {
            return Optional.of("cloud metadata");
        }
        if (a.isLoopbackAddress()) {
            return Optional.of("loopback");
        }
        if (a.isLinkLocalAddress()) {
            return Optional.of("link-local");
        }
        if (a.isAnyLocalAddress() || a instanceof Inet4Address && (b[0] == 0 || (b[0] & 0xff) == 255)) {
            return Optional.of("unspecified or broadcast");
        }
        if (a.isMulticastAddress()) {
            return Optional.of("multicast");
        }
        if (a.isSiteLocalAddress()) {
            return Optional.of("private");
        }
        if (a instanceof Inet4Address && (b[0] & 0xff) == 100 && (b[1] & 0xc0) == 64) {
            return Optional.of("private (carrier-grade NAT)");
        }
        if (a instanceof Inet6Address && (b[0] & 0xfe) == 0xfc) {
            return Optional.of("private (IPv6 unique local)");
        }
        if (a instanceof Inet6Address && isEmbeddedIpv4(b)) {
            byte[] v4 = {b[12], b[13], b[14], b[15]};
            try {
                return blockedReason(InetAddress.getByAddress(v4));
            } catch (UnknownHostException e) {
                throw new IllegalStateException(e); // four bytes are always a valid address
            }
        }
        return Optional.empty();
    }

    private static boolean isMetadata(InetAddress a) {
        String s = a.getHostAddress();
        // AWS/GCP/Azure/OpenStack, AWS ECS task metadata, Alibaba Cloud, AWS over IPv6
        return s.equals("169.254.169.254") || s.equals("169.254.170.2") || s.equals("100.100.100.200")
                || s.equals("fd00:ec2:0:0:0:0:0:254");
    }

    // IPv4-compatible (::a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) forms reach IPv4 hosts
    private static boolean isEmbeddedIpv4(byte[] b) {
        boolean zeroPrefix = true;
        for (int i = 0; i < 12; i++) {
            zeroPrefix &= b[i] == 0;
        }
        boolean nat64 = (b[0] & 0xff) == 0x00 && (b[1] & 0xff) == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b;
        for (int i = 4; nat64 && i < 12; i++) {
            nat64 = b[i] == 0;
        }
        return zeroPrefix || nat64;
    }
}
