using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace Agentic.Core.Tests.Tokenization;

/// <summary>Generators of text for property tests.</summary>
internal static class TextGen
{
    private static readonly string[] Pieces =
    [
        "a", "Z", " ", "\n", "\t", "{", "}", "\"", "\\", "<", ">", "|", "/", "é", "€", "中", "𝄞", "😀", "\u0000", "\u007f",
        "<|im_end|>", "<tool_call>", "</tool_call>", "<|endoftext|>", "<think", "<|im_", "tool_call>",
    ];

    /// <summary>Arbitrary .NET strings, lone surrogates included.</summary>
    public static Gen<string> AnyString { get; } = ArbMap.Default.GeneratorFor<string>().Select(s => s ?? string.Empty);

    /// <summary>Well-formed Unicode strings, mixing random text with multi-byte characters and tag fragments.</summary>
    public static Gen<string> Unicode { get; } = Gen.OneOf(
        AnyString.Select(Sanitize),
        Gen.Elements(Pieces).ListOf().Select(p => string.Concat(p)),
        Gen.Zip(AnyString.Select(Sanitize), Gen.Elements(Pieces).ListOf()).Select(t => t.Item1 + string.Concat(t.Item2) + t.Item1));

    /// <summary>Replaces lone surrogates by '?'.</summary>
    public static string Sanitize(string s)
    {
        var builder = new StringBuilder(s.Length);
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                builder.Append(s[i]).Append(s[++i]);
            }
            else
            {
                builder.Append(char.IsSurrogate(s[i]) ? '?' : s[i]);
            }
        }

        return builder.ToString();
    }
}
