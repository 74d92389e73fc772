namespace Tiered.Server.Network.Transport;

/// <summary>
/// The Linux system calls the epoll transport uses, declared with blittable arguments only (no marshalling stubs).
/// x86-64 only: there the kernel's <c>struct epoll_event</c> is packed (12 bytes); other architectures use the
/// .NET socket transport (<see cref="SocketEngine"/>).
/// </summary>
internal static unsafe class Native
{
    public const int EAGAIN = 11;
    public const int EINTR = 4;
    public const int EPIPE = 32;
    public const int ECONNRESET = 104;

    public const uint EPOLLIN = 0x001;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;
    public const uint EPOLLRDHUP = 0x2000;
    public const uint EPOLLET = 1u << 31;

    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EFD_CLOEXEC = 0x80000;
    public const int EFD_NONBLOCK = 0x800;

    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_NOSIGNAL = 0x4000;

    public const int F_GETFL = 3;
    public const int O_NONBLOCK = 0x800;

    /// <summary>Whether this process can use the epoll transport.</summary>
    public static bool Supported => OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64;

    [StructLayout(LayoutKind.Sequential, Pack = 4)]
    public struct EpollEvent
    {
        public uint Events;
        public ulong Data;
    }

    [DllImport("libc", SetLastError = true)]
    public static extern int epoll_create1(int flags);

    [DllImport("libc", SetLastError = true)]
    public static extern int epoll_ctl(int epfd, int op, int fd, EpollEvent* ev);

    [DllImport("libc", SetLastError = true)]
    public static extern int epoll_wait(int epfd, EpollEvent* events, int maxEvents, int timeoutMs);

    [DllImport("libc", SetLastError = true)]
    public static extern int eventfd(uint initval, int flags);

    [DllImport("libc", SetLastError = true)]
    public static extern nint read(int fd, byte* buf, nint count);

    [DllImport("libc", SetLastError = true)]
    public static extern nint write(int fd, byte* buf, nint count);

    [DllImport("libc", SetLastError = true)]
    public static extern nint send(int fd, byte* buf, nint len, int flags);

    [DllImport("libc", SetLastError = true)]
    public static extern int fcntl(int fd, int cmd, int arg);

    [DllImport("libc", SetLastError = true)]
    public static extern int close(int fd);

    public static int Errno => Marshal.GetLastPInvokeError();
}
