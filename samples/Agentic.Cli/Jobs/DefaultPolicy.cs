using Agentic.Core.Chat;
using Agentic.Core.Tokenization;
using Agentic.Rl.Modeling;

namespace Agentic.Cli.Jobs;

/// <summary>The built-in default policy: the byte-level tokenizer, the ChatML template and the default MoE config.</summary>
internal static class DefaultPolicy
{
    public static ByteLevelTokenizer CreateTokenizer() => ByteLevelTokenizer.CreateDefault();

    public static MoeTransformerConfig Config(ByteLevelTokenizer tokenizer)
    {
        var config = MoeTransformerConfig.Default;
        if (config.VocabSize < tokenizer.VocabularySize)
        {
            // Round up to a multiple of 32 for matmul-friendly shapes.
            config = config with { VocabSize = (tokenizer.VocabularySize + 31) / 32 * 32 };
        }
        return config;
    }

    public static ChatTemplate CreateTemplate(ByteLevelTokenizer tokenizer) => new(tokenizer);

    /// <summary>
    /// Fits byte-pair merges on demonstration conversations (rendered with the byte-level template), so agent
    /// episodes take about a third of the byte-level positions.
    /// </summary>
    public static ByteLevelTokenizer FitTokenizer(IEnumerable<IReadOnlyList<Microsoft.Extensions.AI.ChatMessage>> conversations, int merges)
    {
        var bytes = ByteLevelTokenizer.CreateDefault();
        if (merges <= 0) return bytes;
        var template = new ChatTemplate(bytes, new ChatTemplateOptions { IncludeToolsInSystemPrompt = false });
        var corpus = conversations.Select(c => bytes.Decode(template.Encode(c).Ids) ?? "");
        return ByteLevelTokenizer.Fit(corpus, new ByteLevelTokenizerFitOptions { Merges = merges });
    }
}
