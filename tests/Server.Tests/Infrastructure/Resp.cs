using System.Text;

namespace Tiered.Server.Tests.Infrastructure;

/// <summary>Builds RESP requests as bytes.</summary>
internal static class Resp
{
    public static byte[] Command(params string[] args) => Command(args.Select(Encoding.UTF8.GetBytes).ToArray());

    public static byte[] Command(params byte[][] args)
    {
        var ms = new MemoryStream();
        ms.Write(Encoding.ASCII.GetBytes($"*{args.Length}\r\n"));
        foreach (byte[] a in args)
        {
            ms.Write(Encoding.ASCII.GetBytes($"${a.Length}\r\n"));
            ms.Write(a);
            ms.Write("\r\n"u8);
        }
        return ms.ToArray();
    }
}
