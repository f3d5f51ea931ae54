namespace Agentic.Core.ChatCompletion;

/// <summary>Options of <see cref="LocalPolicyChatClient"/>.</summary>
public sealed class LocalPolicyChatClientOptions
{
    /// <summary>The model id reported in responses and metadata.</summary>
    public string ModelId { get; set; } = "agentic-local";

    /// <summary>Temperature when <see cref="Microsoft.Extensions.AI.ChatOptions.Temperature"/> is not set.</summary>
    public float DefaultTemperature { get; set; }

    /// <summary>Token budget of a reply when <see cref="Microsoft.Extensions.AI.ChatOptions.MaxOutputTokens"/> is not set.</summary>
    public int DefaultMaxOutputTokens { get; set; } = 256;
}
