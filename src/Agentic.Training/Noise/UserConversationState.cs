namespace Agentic.Training.Noise;

/// <summary>What the user noise remembers about one conversation: withheld slots, slots already given, pending clarifications.</summary>
internal sealed class UserConversationState
{
    public UserConversationState(string key) => Key = key;

    public string Key { get; }

    public Lock Gate { get; } = new();

    public int Turns { get; set; }

    /// <summary>Slots whose value is being withheld until the agent asks about them.</summary>
    public HashSet<string> Withheld { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Slots whose value the agent has already seen in a user message.</summary>
    public HashSet<string> Given { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Clarifications owed to the agent, delivered when their trigger occurs.</summary>
    public List<Clarification> Pending { get; } = [];
}

/// <summary>A clarification owed to the agent: given when the agent's message mentions <paramref name="Slot"/>, or (when
/// <paramref name="OnAnyQuestion"/>) asks any question.</summary>
internal sealed record Clarification(string? Slot, bool OnAnyQuestion, string Text);
