namespace Agentic.Core.Tests.Tokenization;

/// <summary>Synthetic agent episodes (ChatML with Hermes tool calls and JSON results) for fitting merges.</summary>
internal static class AgentCorpus
{
    private static readonly string[] FirstNames = ["Jon", "Ada", "Mia", "Liam", "Noor", "Kofi", "Ines", "Yuki", "Omar", "Lena", "Ravi", "Sofia"];
    private static readonly string[] LastNames = ["Okafor", "Lovelace", "Tanaka", "Schmidt", "Haddad", "Mensah", "Costa", "Ivanova", "Nguyen", "Moreau"];
    private static readonly string[] Tiers = ["bronze", "silver", "gold", "platinum"];
    private static readonly string[] Products = ["desk lamp", "office chair", "usb cable", "monitor stand", "keyboard", "coffee mug"];

    /// <summary>One episode: a request, a tool call, its JSON result and the answer.</summary>
    public static string Episode(Random random)
    {
        string first = FirstNames[random.Next(FirstNames.Length)];
        string last = LastNames[random.Next(LastNames.Length)];
        string name = $"{first} {last}";
        string email = $"{first.ToLowerInvariant()}.{last.ToLowerInvariant()}@example.com";
        string id = $"C{random.Next(1, 500)}";
        string tier = Tiers[random.Next(Tiers.Length)];
        if (random.Next(2) == 0)
        {
            return "<|im_start|>user\nWhat is the email address of " + name + "?<|im_end|>\n"
                + "<|im_start|>assistant\n<tool_call>\n{\"name\": \"find_customer\", \"arguments\": {\"name\": \"" + name + "\"}}\n</tool_call><|im_end|>\n"
                + "<|im_start|>user\n<tool_response>\n{\"customer_id\": \"" + id + "\", \"name\": \"" + name + "\", \"email\": \"" + email
                + "\", \"tier\": \"" + tier + "\"}\n</tool_response><|im_end|>\n"
                + "<|im_start|>assistant\n<answer>" + email + "</answer><|im_end|>\n";
        }

        string product = Products[random.Next(Products.Length)];
        int quantity = random.Next(1, 20);
        string order = $"O{random.Next(1000, 9999)}";
        return "<|im_start|>user\nPlease order " + quantity + " " + product + " for customer " + id + ".<|im_end|>\n"
            + "<|im_start|>assistant\n<think>The customer id is " + id + ".</think>\n<tool_call>\n{\"name\": \"place_order\", \"arguments\": {\"customer_id\": \""
            + id + "\", \"product\": \"" + product + "\", \"quantity\": " + quantity + "}}\n</tool_call><|im_end|>\n"
            + "<|im_start|>user\n<tool_response>\n{\"order_id\": \"" + order + "\", \"status\": \"confirmed\", \"total\": " + random.Next(5, 900) + "." + random.Next(10, 99)
            + "}\n</tool_response><|im_end|>\n"
            + "<|im_start|>assistant\n<answer>Order " + order + " is confirmed.</answer><|im_end|>\n";
    }

    private static readonly string[] Syllables = ["ka", "lo", "mi", "ne", "tor", "an", "el", "is", "qu", "ra", "ste", "ph", "on", "ur", "wy", "zo", "be", "ch", "di", "gh"];

    /// <summary>A line of varied prose: pseudo-words of random syllables, punctuation and numbers.</summary>
    public static string Prose(Random random)
    {
        var builder = new System.Text.StringBuilder();
        int words = random.Next(5, 30);
        for (int w = 0; w < words; w++)
        {
            builder.Append(w == 0 ? "" : " ");
            int syllables = random.Next(1, 5);
            for (int s = 0; s < syllables; s++)
            {
                builder.Append(Syllables[random.Next(Syllables.Length)]);
            }

            if (random.Next(8) == 0)
            {
                builder.Append(", ").Append(random.Next(10_000));
            }
        }

        return builder.Append(".\n").ToString();
    }

    /// <summary>A deterministic list of episodes.</summary>
    public static List<string> Episodes(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => Episode(random)).ToList();
    }
}
